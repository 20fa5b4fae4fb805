/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * crc32c.h - CRC-32C (Castagnoli), the checksum of every on-disk record.
 *
 * Chosen over CRC-32 for its better error detection on short records and its
 * use by iSCSI, ext4 and btrfs.  No state, thread-safe: the CPU's crc32
 * instruction when it has one (x86-64 SSE4.2), else a table.
 */
#ifndef LEASEFS_CRC32C_H
#define LEASEFS_CRC32C_H

#include <stddef.h>
#include <stdint.h>

/* CRC-32C of len bytes at buf.  lfs_crc32c("123456789", 9) == 0xe3069283. */
uint32_t lfs_crc32c(const void *buf, size_t len);

/* lfs_crc32c() of len bytes at buf as if the 4 bytes at hole were zero
 * (a record's own crc field): no copy of the record.  hole + 4 > len:
 * lfs_crc32c(buf, len). */
uint32_t lfs_crc32c_hole(const void *buf, size_t len, size_t hole);

/* The two ways lfs_crc32c() may take, for the unit tests: the table alone
 * (any CPU), and the CPU instruction, which falls back to the table when
 * lfs_crc32c_hw_available() is 0.  All three give the same values. */
uint32_t lfs_crc32c_table(const void *buf, size_t len);
uint32_t lfs_crc32c_hw(const void *buf, size_t len);
int lfs_crc32c_hw_available(void);

#endif
