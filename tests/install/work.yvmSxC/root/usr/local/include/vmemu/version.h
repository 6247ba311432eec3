/* libvmemu's version, fixed at configure time. */
#ifndef VMEMU_VERSION_H
#define VMEMU_VERSION_H

#define VMEMU_VERSION_MAJOR 0
#define VMEMU_VERSION_MINOR 1
#define VMEMU_VERSION_PATCH 0
#define VMEMU_VERSION_STRING "0.1.0"
#define VMEMU_VERSION_NUMBER \
	((VMEMU_VERSION_MAJOR << 16) | (VMEMU_VERSION_MINOR << 8) | VMEMU_VERSION_PATCH)

#endif
