"""RayOS boot harness: boots the ISO in QEMU and classifies how it ended."""
