/* QEMU firmware configuration device, traditional (non-DMA) interface
 * (QEMU docs/specs/fw_cfg.rst): a 16-bit selector at 0x510 picks an item,
 * byte reads at 0x511 stream it from offset 0, and reads past its end give
 * 0. Guests and firmware written for QEMU (test suites, SeaBIOS-style
 * loaders) find the RAM size, the CPU count and named files here. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "ringvm/bus.h"
#include "ringvm/hw.h"
#include "ringvm/log.h"
#include "ringvm/util.h"
#include "ringvm/vm.h"

#define FW_CFG_PORT       0x510
#define FW_CFG_FILE_FIRST 0x20
#define FW_CFG_MAX_FILES  0x1000
#define FW_CFG_NAME_LEN   56

/* Selector bits (fw_cfg.rst "Selector Register"): bit 15 selects the
 * architecture-specific item set, bit 14 asked for write access in old
 * QEMU versions. Items are keyed by the selector without bit 14. */
#define FW_CFG_WRITE_CHANNEL 0x4000
#define FW_CFG_INVALID       0xffff

#define FW_CFG_ID_TRADITIONAL 0x01

struct fw_cfg_item {
	uint16_t key;
	uint8_t *data;
	uint32_t len;
};

struct fw_cfg_file {
	char name[FW_CFG_NAME_LEN];
	uint16_t key;
	uint32_t size;
};

struct fw_cfg {
	struct fw_cfg_item *items;
	int nr_items, cap_items;
	struct fw_cfg_file *files;
	int nr_files, cap_files;
	/* Current selection. */
	uint16_t cur;
	const struct fw_cfg_item *cur_item;
	uint32_t offset;
};

static struct fw_cfg_item *fw_cfg_find(struct fw_cfg *f, uint16_t key)
{
	for (int i = 0; i < f->nr_items; i++)
		if (f->items[i].key == key)
			return &f->items[i];
	return NULL;
}

/* Add or replace an item; the data is copied. */
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, size_t len)
{
	struct fw_cfg_item *it;
	uint8_t *copy;

	if (!f || (key & FW_CFG_WRITE_CHANNEL) || len > UINT32_MAX || (len && !data))
		return -EINVAL;
	copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len)
		memcpy(copy, data, len);
	it = fw_cfg_find(f, key);
	if (!it) {
		if (f->nr_items == f->cap_items) {
			int cap = f->cap_items ? f->cap_items * 2 : 16;
			struct fw_cfg_item *n = realloc(f->items, (size_t)cap * sizeof(*n));

			if (!n) {
				free(copy);
				return -ENOMEM;
			}
			f->items = n;
			f->cap_items = cap;
		}
		it = &f->items[f->nr_items++];
		it->key = key;
		it->data = NULL;
	}
	free(it->data);
	it->data = copy;
	it->len = (uint32_t)len;
	/* The array may have moved: look the selection up again. */
	f->cur_item = f->cur == FW_CFG_INVALID ? NULL : fw_cfg_find(f, f->cur);
	return 0;
}

static void put_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* FW_CFG_FILE_DIR (fw_cfg.rst "File Directory"): a big-endian count, then
 * per file { be32 size; be16 select; u16 reserved; char name[56]; }. */
static int fw_cfg_rebuild_dir(struct fw_cfg *f)
{
	size_t len = 4 + (size_t)f->nr_files * 64;
	uint8_t *dir = calloc(1, len);
	int ret;

	if (!dir)
		return -ENOMEM;
	put_be32(dir, (uint32_t)f->nr_files);
	for (int i = 0; i < f->nr_files; i++) {
		uint8_t *e = dir + 4 + (size_t)i * 64;

		put_be32(e, f->files[i].size);
		put_be16(e + 4, f->files[i].key);
		memcpy(e + 8, f->files[i].name, FW_CFG_NAME_LEN);
	}
	ret = fw_cfg_add(f, FW_CFG_FILE_DIR, dir, len);
	free(dir);
	return ret;
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, size_t len)
{
	struct fw_cfg_file *fl;
	uint16_t key;
	int ret;

	if (!f || !name || !*name || len > UINT32_MAX)
		return -EINVAL;
	if (strlen(name) >= FW_CFG_NAME_LEN)
		return -ENAMETOOLONG;
	for (int i = 0; i < f->nr_files; i++)
		if (!strcmp(f->files[i].name, name))
			return -EEXIST;
	if (f->nr_files >= FW_CFG_MAX_FILES)
		return -ENOSPC;
	if (f->nr_files == f->cap_files) {
		int cap = f->cap_files ? f->cap_files * 2 : 8;
		struct fw_cfg_file *n = realloc(f->files, (size_t)cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		f->files = n;
		f->cap_files = cap;
	}
	key = (uint16_t)(FW_CFG_FILE_FIRST + f->nr_files);
	ret = fw_cfg_add(f, key, data, len);
	if (ret < 0)
		return ret;
	fl = &f->files[f->nr_files++];
	memset(fl->name, 0, sizeof(fl->name));
	strcpy(fl->name, name);
	fl->key = key;
	fl->size = (uint32_t)len;
	return fw_cfg_rebuild_dir(f);
}

struct fw_cfg *fw_cfg_new(void)
{
	static const uint32_t id = FW_CFG_ID_TRADITIONAL; /* little-endian u32 */
	struct fw_cfg *f = calloc(1, sizeof(*f));
	uint8_t id_le[4];

	if (!f)
		return NULL;
	f->cur = FW_CFG_INVALID;
	put_le32(id_le, id);
	if (fw_cfg_add(f, FW_CFG_SIGNATURE, "QEMU", 4) < 0 ||
	    fw_cfg_add(f, FW_CFG_ID, id_le, sizeof(id_le)) < 0 ||
	    fw_cfg_rebuild_dir(f) < 0) {
		fw_cfg_free(f);
		return NULL;
	}
	return f;
}

void fw_cfg_free(struct fw_cfg *f)
{
	if (!f)
		return;
	for (int i = 0; i < f->nr_items; i++)
		free(f->items[i].data);
	free(f->items);
	free(f->files);
	free(f);
}

/* Port 0x510 (offset 0) takes the 16-bit selector; any byte read in the
 * range streams the selected item, as QEMU's combined I/O region does.
 * Writes of data (deprecated since QEMU 2.4) are ignored. */
uint64_t fw_cfg_io_read(void *opaque, uint64_t off, unsigned size)
{
	struct fw_cfg *f = opaque;
	const struct fw_cfg_item *it = f->cur_item;

	if (size != 1)
		return ~0ULL;  /* QEMU accepts only byte reads */
	if (!it || f->offset >= it->len)
		return 0;
	return it->data[f->offset++];
}

void fw_cfg_io_write(void *opaque, uint64_t off, unsigned size, uint64_t val)
{
	struct fw_cfg *f = opaque;
	uint16_t key;

	if (off != 0 || size != 2) {
		pr_guest("fw_cfg: ignored %u-byte write at offset %llu", size,
			 (unsigned long long)off);
		return;
	}
	key = (uint16_t)val & (uint16_t)~FW_CFG_WRITE_CHANNEL;
	f->cur = key;
	f->cur_item = fw_cfg_find(f, key);
	f->offset = 0;
}

static const struct bus_ops fw_cfg_ops = {
	.read = fw_cfg_io_read,
	.write = fw_cfg_io_write,
};

int fw_cfg_attach(struct fw_cfg *f, struct vm *vm)
{
	if (!f || !vm)
		return -EINVAL;
	return bus_register(vm, BUS_PIO, FW_CFG_PORT, 2, &fw_cfg_ops, f);
}
