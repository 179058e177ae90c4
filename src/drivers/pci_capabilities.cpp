#include "drivers/pci_capabilities.h"

namespace drivers::pci {
namespace {

// Conventional header (PCI 3.0 6.7, Figure 6-10): ID, next pointer, then
// 16 bits the capability defines.
struct CapabilityHeader : arch::RegisterBits<CapabilityHeader, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(id, 0, 8)
    REGISTER_FIELD(next, 8, 8)
    REGISTER_FIELD(control, 16, 16)
};

// Extended header (PCIe Base 4.0, 7.6.3): ID, version, next.
struct ExtendedCapabilityHeader : arch::RegisterBits<ExtendedCapabilityHeader, uint32_t> {
    using RegisterBits::RegisterBits;
    REGISTER_FIELD(id, 0, 16)
    REGISTER_FIELD(version, 16, 4)
    REGISTER_FIELD(next, 20, 12)
};

constexpr uint16_t kExtendedListStart = 0x100;
// The structures whose sizes the walk checks against the end of the
// space; any other is taken to be its 4-byte header.
constexpr uint8_t kAgpId = 0x02;
constexpr uint8_t kVpdId = 0x03;
constexpr uint8_t kPciXId = 0x07;
constexpr uint8_t kBridgeSubsystemId = 0x0D;
constexpr uint8_t kAgp8xId = 0x0E;
constexpr uint8_t kSataId = 0x12;
constexpr uint16_t kAdvancedErrorReportingId = 0x0001;
constexpr uint16_t kDeviceSerialNumberId = 0x0003;
constexpr uint16_t kHeaderBytes = 4;
constexpr uint8_t kRootComplexIntegratedEndpoint = 0x9; // a PCI Express Device/Port Type
constexpr uint16_t kVendorSpecificMinimum = 3; // ID, next, length

// Bytes the capability spans, from its ID and control field.
uint16_t conventional_length(uint8_t id, uint16_t control)
{
    switch (id) {
    case static_cast<uint8_t>(CapabilityId::PowerManagement):
    case kVpdId:
    case kPciXId:
    case kBridgeSubsystemId:
    case kSataId:
        return 8;
    case kAgpId:
    case kAgp8xId:
    case static_cast<uint8_t>(CapabilityId::MsiX):
        return 12;
    case static_cast<uint8_t>(CapabilityId::Msi): {
        // PCI 3.0 Figure 6-9: 10 bytes, 4 more for a 64-bit address, 10
        // more (reserved, mask and pending bits) with per-vector masking.
        MsiControl msi(control);
        return static_cast<uint16_t>(
            10 + (msi.address_64_bits() ? 4 : 0) + (msi.per_vector_masking() ? 10 : 0));
    }
    case static_cast<uint8_t>(CapabilityId::PciExpress): {
        // PCIe Base 4.0 7.5.3 (and 1.1 for version 1): the registers every
        // function of its kind has, as Linux's PCI_CAP_EXP_*_SIZEOF count
        // them. A version 2 structure has them through Link Status 2; a
        // version 1 endpoint through Link Status, and a root complex
        // integrated one, which has no link, through Device Status. The
        // slot and root registers after them only a port must have (QEMU's
        // e1000e puts a version 1 structure at 0xE0).
        PciExpressCapabilities express(control);
        if (express.version() >= 2)
            return 0x2C;
        return express.port_type() == kRootComplexIntegratedEndpoint ? 0x0C : 0x14;
    }
    case static_cast<uint8_t>(CapabilityId::VendorSpecific): {
        auto length = static_cast<uint16_t>(control & 0xFF);
        return length < kVendorSpecificMinimum ? kVendorSpecificMinimum : length;
    }
    default:
        return kHeaderBytes;
    }
}

uint16_t extended_length(uint16_t id)
{
    switch (id) {
    case kAdvancedErrorReportingId:
        return 0x2C; // PCIe Base 4.0 7.8.4: through the header log
    case kDeviceSerialNumberId:
        return 0x0C; // 7.9.3: the header and the 64-bit serial number
    default:
        return kHeaderBytes;
    }
}

// Which dwords of the space the walk has been at: a second visit is a loop.
class Visited {
public:
    bool test_and_set(uint16_t offset)
    {
        unsigned dword = offset / 4u;
        uint64_t bit = uint64_t { 1 } << (dword % 64);
        bool seen = (m_bits[dword / 64] & bit) != 0;
        m_bits[dword / 64] |= bit;
        return seen;
    }

private:
    uint64_t m_bits[kExtendedConfigSpaceSize / 4 / 64] = {};
};

// The problem with following pointer, if any, before it is read.
CapabilityProblem check_pointer(uint16_t pointer, uint16_t lowest, Visited& visited)
{
    if (pointer < lowest)
        return CapabilityProblem::PointsIntoHeader;
    if (pointer % 4 != 0)
        return CapabilityProblem::Misaligned;
    if (visited.test_and_set(pointer))
        return CapabilityProblem::Loops;
    return CapabilityProblem::None;
}

// Ends the walk with a problem at pointer (read from pointer_at).
void stop(CapabilityList& list, CapabilityProblem problem, uint16_t pointer, uint16_t pointer_at)
{
    list.problem = problem;
    list.pointer = pointer;
    list.pointer_at = pointer_at;
}

bool append_capability(CapabilityList& list, const Capability& capability, uint16_t pointer_at)
{
    if (list.count == CapabilityList::kMaxCapabilities) {
        stop(list, CapabilityProblem::TooMany, capability.offset, pointer_at);
        return false;
    }
    list.items[list.count++] = capability;
    return true;
}

} // namespace

const char* describe(CapabilityProblem problem, bool extended_list)
{
    switch (problem) {
    case CapabilityProblem::None:
        return "no problem";
    case CapabilityProblem::PointsIntoHeader:
        return extended_list ? "points below 0x100, into the conventional space"
                             : "points into the header (below 0x40)";
    case CapabilityProblem::Misaligned:
        return "is not a multiple of 4";
    case CapabilityProblem::RunsPastEnd:
        return extended_list ? "holds a capability that runs past the 4096-byte configuration space"
                             : "holds a capability that runs past the 256-byte configuration space";
    case CapabilityProblem::Loops:
        return "points back to a capability already listed: the list loops";
    case CapabilityProblem::TooMany:
        return "leads past the most capabilities kept (12): the rest are not listed";
    }
    return "unknown problem";
}

bool has_capability(const CapabilityList& list, CapabilityId id)
{
    for (size_t i = 0; i < list.count; ++i) {
        if (list.items[i].id == static_cast<uint16_t>(id))
            return true;
    }
    return false;
}

CapabilityList walk_capabilities(ConfigAccess& access, PciAddress function, uint16_t pointer_offset)
{
    CapabilityList list {};
    if (!Status(read16(access, function, offset::kStatus)).capabilities_list())
        return list;
    Visited visited;
    uint16_t pointer_at = pointer_offset;
    uint16_t pointer = read8(access, function, pointer_offset);
    while (pointer != 0) {
        if (CapabilityProblem problem = check_pointer(pointer, offset::kHeaderEnd, visited);
            problem != CapabilityProblem::None) {
            stop(list, problem, pointer, pointer_at);
            break;
        }
        CapabilityHeader header(access.read32(function, pointer));
        Capability capability { static_cast<uint16_t>(header.id()), pointer, 0,
            static_cast<uint16_t>(header.control()), 0, 0 };
        if (pointer + conventional_length(static_cast<uint8_t>(header.id()), capability.control)
            > kConfigSpaceSize) {
            stop(list, CapabilityProblem::RunsPastEnd, pointer, pointer_at);
            break;
        }
        if (capability.id == static_cast<uint16_t>(CapabilityId::MsiX)) {
            capability.table = access.read32(function, static_cast<uint16_t>(pointer + 4));
            capability.pending = access.read32(function, static_cast<uint16_t>(pointer + 8));
        }
        if (!append_capability(list, capability, pointer_at))
            break;
        pointer_at = static_cast<uint16_t>(pointer + 1);
        pointer = static_cast<uint16_t>(header.next());
    }
    return list;
}

CapabilityList walk_extended_capabilities(ConfigAccess& access, PciAddress function)
{
    CapabilityList list {};
    if (access.config_space_size() < kExtendedConfigSpaceSize)
        return list;
    uint32_t first = access.read32(function, kExtendedListStart);
    if (first == 0 || first == 0xFFFFFFFF)
        return list;
    Visited visited;
    uint16_t pointer_at = 0; // the first header's place is fixed, not read
    uint16_t pointer = kExtendedListStart;
    while (pointer != 0) {
        if (CapabilityProblem problem = check_pointer(pointer, kExtendedListStart, visited);
            problem != CapabilityProblem::None) {
            stop(list, problem, pointer, pointer_at);
            break;
        }
        ExtendedCapabilityHeader header(access.read32(function, pointer));
        auto id = static_cast<uint16_t>(header.id());
        if (pointer + extended_length(id) > kExtendedConfigSpaceSize) {
            stop(list, CapabilityProblem::RunsPastEnd, pointer, pointer_at);
            break;
        }
        if (!append_capability(
                list, { id, pointer, static_cast<uint8_t>(header.version()), 0, 0, 0 }, pointer_at))
            break;
        pointer_at = pointer;
        pointer = static_cast<uint16_t>(header.next());
    }
    return list;
}

} // namespace drivers::pci
