/* SPDX-License-Identifier: GPL-2.0 */
/* Shim (base ring): included, not used. */
