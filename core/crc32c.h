/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every on-disk record.
 *
 * Chosen over CRC-32 for its better error detection on short records and its
 * use by iSCSI, ext4 and btrfs.  Table-driven, no state, thread-safe.
 */
#ifndef LEASEFS_CRC32C_H
#define LEASEFS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of len bytes at buf.  lfs_crc32c("123456789", 9) == 0xe3069283. */
uint32_t lfs_crc32c(const void *buf, size_t len);

#endif
