/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * version.h - the version of leasefs: the one place where it is written.
 *
 * `leasefs -V` prints it; the Makefile reads it from here to put it in the
 * man pages it installs and to check debian/changelog against it (make
 * check-version).  Change it here, then add a debian/changelog entry.
 */
#ifndef LEASEFS_VERSION_H
#define LEASEFS_VERSION_H

#define LEASEFS_VERSION "0.1.0"

#endif
