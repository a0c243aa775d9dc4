/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): never a Xen guest. */
#ifndef _SHIM_XEN_XEN_H
#define _SHIM_XEN_XEN_H

#define xen_domain() 0

#endif
