/* Guest RAM: one anonymous mapping, split around the PCI hole. */
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include "ringvm/memory.h"

int mem_init(struct guest_mem *m, uint64_t ram_size)
{
	void *p;

	memset(m, 0, sizeof(*m));
	if (!ram_size || ram_size & 0xfff)
		return -EINVAL;
	/* MAP_NORESERVE: the guest touches what it uses; untouched RAM costs
	 * the host nothing (the memory-overhead bench relies on it). */
	p = mmap(NULL, ram_size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return -errno;
	madvise(p, ram_size, MADV_MERGEABLE);
	m->host = p;
	m->ram_size = ram_size;
	m->r[0].gpa = 0;
	m->r[0].host = p;
	m->r[0].size = ram_size < MEM_HOLE_START ? ram_size : MEM_HOLE_START;
	m->nr = 1;
	if (ram_size > MEM_HOLE_START) {
		m->r[1].gpa = MEM_HOLE_END;
		m->r[1].host = m->host + MEM_HOLE_START;
		m->r[1].size = ram_size - MEM_HOLE_START;
		m->nr = 2;
	}
	return 0;
}

void mem_exit(struct guest_mem *m)
{
	if (m->host)
		munmap(m->host, m->ram_size);
	memset(m, 0, sizeof(*m));
}

void *mem_ptr(const struct guest_mem *m, uint64_t gpa, uint64_t len)
{
	for (int i = 0; i < m->nr; i++) {
		const struct mem_region *r = &m->r[i];
		/* Written so that gpa + len cannot overflow. */
		if (gpa >= r->gpa && gpa - r->gpa <= r->size && len <= r->size - (gpa - r->gpa))
			return r->host + (gpa - r->gpa);
	}
	return NULL;
}

int mem_write(const struct guest_mem *m, uint64_t gpa, const void *src, uint64_t len)
{
	void *p = mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int mem_read(const struct guest_mem *m, uint64_t gpa, void *dst, uint64_t len)
{
	const void *p = mem_ptr(m, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

uint64_t mem_low_end(const struct guest_mem *m)
{
	return m->r[0].size;
}
