/* Small helpers shared by every module. */
#ifndef RINGVM_UTIL_H
#define RINGVM_UTIL_H

#include <stddef.h>
#include <stdint.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define ALIGN_UP(x, a) (((x) + (a) - 1) & ~((uint64_t)(a) - 1))
#define ALIGN_DOWN(x, a) ((x) & ~((uint64_t)(a) - 1))
#define KiB (1024ULL)
#define MiB (1024ULL * KiB)
#define GiB (1024ULL * MiB)

/* Read a whole file into a malloc'd buffer. Returns 0 or -errno. */
int file_read_all(const char *path, uint8_t **buf, size_t *len);

/* Parse "256M", "1G", "4096K", "65536" into bytes. Returns 0 or -EINVAL. */
int parse_size(const char *s, uint64_t *out);

/* Monotonic microseconds since process start (boot-timer port, benches). */
uint64_t time_us_since_start(void);

static inline uint16_t get_le16(const void *p) { const uint8_t *b = p; return (uint16_t)(b[0] | b[1] << 8); }
static inline uint32_t get_le32(const void *p) { const uint8_t *b = p; return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24; }
static inline uint64_t get_le64(const void *p) { return get_le32(p) | (uint64_t)get_le32((const uint8_t *)p + 4) << 32; }
static inline void put_le16(void *p, uint16_t v) { uint8_t *b = p; b[0] = v; b[1] = v >> 8; }
static inline void put_le32(void *p, uint32_t v) { uint8_t *b = p; b[0] = v; b[1] = v >> 8; b[2] = v >> 16; b[3] = v >> 24; }
static inline void put_le64(void *p, uint64_t v) { put_le32(p, (uint32_t)v); put_le32((uint8_t *)p + 4, (uint32_t)(v >> 32)); }

#endif
