/* bzImage fast path: unpack the compressed vmlinux inside a bzImage on the
 * host and enter it through PVH, so the guest never runs its own
 * decompressor. Under the software CPU that decompressor is a large share of
 * the boot (../shared/EMU-NOTES.md measured ~55% of TCG's boot time saved by
 * PVH). Falls back to the ordinary 64-bit boot protocol whenever the payload
 * is in a format we do not unpack or the vmlinux has no PVH entry note.
 * linux.c calls bzimage_load_pvh() first; boot_prefer_pvh = false turns the
 * fast path off.
 *
 * Payload location: payload_offset/payload_length in the setup header,
 * protocol 2.08+ (boot.rst). The build appends the uncompressed size as a
 * little-endian u32 to every compressed payload (scripts/Makefile.lib,
 * size_append), which bounds the output buffer. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include "ringvm/boot.h"
#include "ringvm/util.h"
#include "boot/boot-int.h"

bool boot_prefer_pvh = true;

#define HDR_SETUP_SECTS   0x1f1
#define HDR_VERSION       0x206
#define HDR_CMDLINE_SIZE  0x238
#define HDR_PAYLOAD_OFF   0x248
#define HDR_PAYLOAD_LEN   0x24c
#define LZ4_LEGACY_MAGIC  0x184c2102U
#define LZ4_LEGACY_BLOCK  (8 << 20)   /* lz4 -l block size */

static int unpack_gzip(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	z_stream z;
	int ret;

	memset(&z, 0, sizeof(z));
	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)(len > UINT32_MAX ? UINT32_MAX : len);
	z.next_out = out;
	z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
	ret = inflate(&z, Z_FINISH);
	*n = z.total_out;
	inflateEnd(&z);
	return ret == Z_STREAM_END ? 0 : -EINVAL;
}

static int unpack_xz(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n, int alone)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret r;

	r = alone ? lzma_alone_decoder(&s, 256 << 20) :
		    lzma_stream_decoder(&s, 256 << 20, LZMA_CONCATENATED);
	if (r != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = cap;
	r = lzma_code(&s, LZMA_FINISH);
	*n = (size_t)s.total_out;
	lzma_end(&s);
	return r == LZMA_STREAM_END ? 0 : -EINVAL;
}

static int unpack_zstd(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	size_t r = ZSTD_decompress(out, cap, in, len);

	if (ZSTD_isError(r))
		return -EINVAL;
	*n = r;
	return 0;
}

/* LZ4 legacy frames (what the kernel's lz4 -l produces): the magic, then
 * blocks of [le32 compressed size][data], each up to 8 MiB unpacked; a
 * repeated magic starts another frame. */
static int unpack_lz4(const uint8_t *in, size_t len, uint8_t *out, size_t cap, size_t *n)
{
	size_t pos = 4, done = 0;

	while (len - pos >= 4) {
		uint32_t csz = get_le32(in + pos);
		size_t room = cap - done;
		int got;

		pos += 4;
		if (csz == LZ4_LEGACY_MAGIC)
			continue;
		if (!csz || csz > len - pos || csz > (uint32_t)LZ4_compressBound(LZ4_LEGACY_BLOCK))
			return -EINVAL;
		got = LZ4_decompress_safe((const char *)in + pos, (char *)out + done, (int)csz,
					  (int)(room < LZ4_LEGACY_BLOCK ? room : LZ4_LEGACY_BLOCK));
		if (got < 0)
			return -EINVAL;
		done += (size_t)got;
		pos += csz;
	}
	*n = done;
	return done ? 0 : -EINVAL;
}

/* The vmlinux inside a bzImage, malloc'd, or NULL when it cannot be had
 * (old protocol, unknown format, corrupt data, size over max). */
static uint8_t *bz_unpack(const uint8_t *img, size_t len, uint64_t max, size_t *outlen)
{
	size_t setup, off, plen, want, got = 0;
	const uint8_t *p;
	uint8_t *out;
	int ret;

	if (len < HDR_PAYLOAD_LEN + 4 || get_le16(img + HDR_VERSION) < 0x208)
		return NULL;
	setup = ((size_t)(img[HDR_SETUP_SECTS] ? img[HDR_SETUP_SECTS] : 4) + 1) * 512;
	off = get_le32(img + HDR_PAYLOAD_OFF);
	plen = get_le32(img + HDR_PAYLOAD_LEN);
	if (setup > len || off > len - setup || plen > len - setup - off || plen < 8)
		return NULL;
	p = img + setup + off;
	want = get_le32(p + plen - 4);
	plen -= 4;
	if (want < 64 || want > max)
		return NULL;
	out = malloc(want);
	if (!out)
		return NULL;
	if (p[0] == 0x1f && p[1] == 0x8b)
		ret = unpack_gzip(p, plen, out, want, &got);
	else if (!memcmp(p, "\xfd" "7zXZ", 6))
		ret = unpack_xz(p, plen, out, want, &got, 0);
	else if (p[0] == 0x5d && p[1] == 0 && p[2] == 0)
		ret = unpack_xz(p, plen, out, want, &got, 1);
	else if (get_le32(p) == ZSTD_MAGICNUMBER)
		ret = unpack_zstd(p, plen, out, want, &got);
	else if (get_le32(p) == LZ4_LEGACY_MAGIC)
		ret = unpack_lz4(p, plen, out, want, &got);
	else
		ret = -EOPNOTSUPP;   /* bzip2, lzo: leave them to the guest */
	if (ret || got != want) {
		free(out);
		return NULL;
	}
	*outlen = got;
	return out;
}

int bzimage_load_pvh(struct guest_mem *m, const struct boot_params_in *in,
		      struct boot_state *out, char *err, size_t errlen)
{
	struct boot_params_in pin = *in;
	uint8_t *vmlinux = NULL;
	size_t vlen = 0;
	uint32_t cmax;
	int ret;

	if (!boot_prefer_pvh)
		return -ENOENT;
	vmlinux = bz_unpack(in->kernel, in->kernel_len, m->ram_size, &vlen);
	if (!vmlinux || !boot_pvh.probe(vmlinux, vlen)) {
		free(vmlinux);
		return -ENOENT;
	}
	/* Keep the limit the kernel states for its command line
	 * (cmdline_size); the PVH loader alone would allow more. */
	cmax = get_le32(in->kernel + HDR_CMDLINE_SIZE);
	if (in->cmdline && strlen(in->cmdline) > cmax) {
		free(vmlinux);
		return boot_fail(err, errlen, -E2BIG,
				 "command line is %zu bytes, the kernel accepts at most %u",
				 strlen(in->cmdline), cmax);
	}
	pin.kernel = vmlinux;
	pin.kernel_len = vlen;
	ret = boot_pvh.load(m, &pin, out, err, errlen);
	free(vmlinux);
	if (!ret)
		out->protocol = "pvh";
	return ret;
}
