#if VMEMU_VERSION_NUMBER < 0x000100
#error "libvmemu 0.1 or later is needed"
#endif
static const char built_with[] = VMEMU_VERSION_STRING;
