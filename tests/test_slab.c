/*
 * tests/test_slab.c -- the arena: class layouts, chunk allocation, the page
 * budget and page moves (slab/slab.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slab/slab.h"
#include "tests/check.h"

static slab_params test_params(void)
{
    slab_params p;
    memset(&p, 0, sizeof(p));
    p.memory_limit = 4 << 20;
    p.page_size = 1 << 20;
    p.chunk_min_total = 32 + 48;
    p.growth_factor = 1.25;
    p.fine_max = 512;
    p.chunk_max = 512 * 1024;
    return p;
}

static bool has_size(const uint32_t *sizes, unsigned n, uint32_t want)
{
    for (unsigned i = 0; i < n; i++)
        if (sizes[i] == want)
            return true;
    return false;
}

static void test_default_layout(void)
{
    slab_params p = test_params();
    uint32_t sizes[SLAB_CLASSES_MAX];
    unsigned n = slab_layout(&p, sizes, SLAB_CLASSES_MAX);
    CHECK_EQ_U64(sizes[0], 80);
    CHECK_EQ_U64(sizes[1], 88);
    CHECK(has_size(sizes, n, 144)); /* 32 header + 10 key + 100 value = 142 */
    CHECK_EQ_U64(sizes[n - 1], 512 * 1024);
    bool ascending = true, aligned = true;
    for (unsigned i = 0; i < n; i++) {
        aligned = aligned && sizes[i] % 8 == 0;
        ascending = ascending && (i == 0 || sizes[i] > sizes[i - 1]);
    }
    CHECK(ascending);
    CHECK(aligned);
    CHECK(n > 63 && n <= SLAB_CLASSES_MAX);
    /* above fine_max the spacing is geometric */
    for (unsigned i = 1; i + 1 < n; i++)
        if (sizes[i - 1] >= 1024)
            CHECK(sizes[i] >= sizes[i - 1] * 1.2);
}

static void test_geometric_layout(void)
{
    slab_params p = test_params();
    p.fine_max = 0;
    p.growth_factor = 2.0;
    uint32_t sizes[SLAB_CLASSES_MAX];
    unsigned n = slab_layout(&p, sizes, SLAB_CLASSES_MAX);
    CHECK_EQ_U64(sizes[0], 80);
    CHECK_EQ_U64(sizes[1], 160);
    CHECK_EQ_U64(sizes[2], 320);
    CHECK_EQ_U64(sizes[n - 1], 512 * 1024);
    CHECK(n < 20);
}

static void test_explicit_layout(void)
{
    slab_params p = test_params();
    uint32_t want[] = {100, 200, 301, 1000000};
    p.sizes = want;
    p.sizes_count = 4;
    uint32_t sizes[SLAB_CLASSES_MAX];
    unsigned n = slab_layout(&p, sizes, SLAB_CLASSES_MAX);
    CHECK_EQ_U64(n, 4);
    CHECK_EQ_U64(sizes[0], 104);
    CHECK_EQ_U64(sizes[1], 200);
    CHECK_EQ_U64(sizes[2], 304);
    CHECK_EQ_U64(sizes[3], 512 * 1024);
}

static void test_params_check(void)
{
    slab_params p = test_params();
    CHECK(slab_params_check(&p) == NULL);
    p.growth_factor = 1.0;
    CHECK(slab_params_check(&p) != NULL);
    p = test_params();
    p.memory_limit = 1000;
    CHECK(slab_params_check(&p) != NULL);
    p = test_params();
    p.chunk_max = 2 << 20;
    CHECK(slab_params_check(&p) != NULL);
    const char *why = NULL;
    CHECK(slab_arena_create(&p, &why) == NULL);
    CHECK(why != NULL);
}

static void test_alloc_free(void)
{
    slab_params p = test_params();
    slab_arena *a = slab_arena_create(&p, NULL);
    CHECK(a != NULL);
    unsigned id = slab_class_for(a, 142);
    CHECK_EQ_U64(a->classes[id].size, 144);
    CHECK_EQ_U64(slab_class_for(a, 1), 1);
    CHECK_EQ_U64(slab_class_for(a, 512 * 1024 + 1), 0);
    CHECK_EQ_U64(slab_pages_in_use(a), 0); /* nothing committed up front */
    hash_ref r1 = slab_alloc(a, id, 142), r2 = slab_alloc(a, id, 142);
    CHECK(r1 != 0 && r2 != 0 && r1 != r2);
    CHECK_EQ_U64((char *)slab_ptr(a, r2) - (char *)slab_ptr(a, r1), 144);
    CHECK_EQ_U64(slab_ref(a, slab_ptr(a, r1)), r1);
    CHECK_EQ_U64(slab_class_of(a, r1), id);
    CHECK_EQ_U64(slab_pages_in_use(a), 1);
    slab_class_info info;
    slab_class_info_read(a, id, &info);
    CHECK_EQ_U64(info.used, 2);
    CHECK_EQ_U64(info.per_page, (1 << 20) / 144);
    CHECK_EQ_U64(info.free, info.per_page - 2);
    CHECK_EQ_U64(info.requested, 284);
    slab_free(a, r1, 142);
    CHECK_EQ_U64(slab_alloc(a, id, 142), r1); /* free list first */
    slab_arena_destroy(a);
}

static void test_budget(void)
{
    slab_params p = test_params();
    slab_arena *a = slab_arena_create(&p, NULL);
    unsigned big = a->nclasses; /* 512 KB chunks: 2 per page, 4 pages */
    hash_ref refs[8];
    for (int i = 0; i < 8; i++)
        refs[i] = slab_alloc(a, big, 1);
    bool all = true;
    for (int i = 0; i < 8; i++)
        all = all && refs[i] != 0;
    CHECK(all);
    CHECK_EQ_U64(slab_alloc(a, big, 1), 0); /* budget spent */
    CHECK_EQ_U64(slab_pages_in_use(a), 4);
    slab_free(a, refs[3], 1);
    CHECK_EQ_U64(slab_alloc(a, big, 1), refs[3]);
    slab_arena_destroy(a);
}

/* A class that owns no page gets one even when the budget is spent. */
static void test_first_page_beyond_budget(void)
{
    slab_params p = test_params();
    slab_arena *a = slab_arena_create(&p, NULL);
    CHECK_EQ_U64(a->limit_pages, 4);
    CHECK_EQ_U64(a->npages, 4 + a->nclasses); /* reserved, not committed */
    CHECK_EQ_U64(a->size, (size_t)a->npages << 20);
    unsigned big = a->nclasses, small = 1;
    for (int i = 0; i < 8; i++)
        slab_alloc(a, big, 1);
    CHECK_EQ_U64(slab_alloc(a, big, 1), 0); /* its budget is spent */
    hash_ref r = slab_alloc(a, small, 1);   /* but the first page of another */
    CHECK(r != 0);
    CHECK_EQ_U64(slab_class_of(a, r), small);
    CHECK_EQ_U64(slab_pages_in_use(a), 5);  /* what is really handed out */
    slab_class_info info;
    slab_class_info_read(a, small, &info);
    CHECK_EQ_U64(info.pages, 1);
    bool page_full = true; /* that page's chunks are all usable */
    for (uint32_t i = 1; i < info.per_page; i++)
        page_full = page_full && slab_alloc(a, small, 1) != 0;
    CHECK(page_full);
    CHECK_EQ_U64(slab_alloc(a, small, 1), 0); /* no second page beyond it */
    CHECK_EQ_U64(slab_alloc(a, 2, 1) != 0, 1); /* class 2's first page */
    CHECK_EQ_U64(slab_pages_in_use(a), 6);
    /* the far end of the reservation is writable (committed on touch) */
    char *last = a->base + a->size - 8;
    memset(last, 0xab, 8);
    CHECK_EQ_U64((unsigned char)last[7], 0xab);
    slab_arena_destroy(a);
}

/* Every class at once past the budget stays within the reservation. */
static void test_first_pages_all_classes(void)
{
    slab_params p = test_params();
    slab_arena *a = slab_arena_create(&p, NULL);
    for (int i = 0; i < 8; i++)
        slab_alloc(a, a->nclasses, 1);
    bool all = true;
    for (unsigned id = 1; id < a->nclasses; id++)
        all = all && slab_alloc(a, id, 1) != 0;
    CHECK(all);
    CHECK_EQ_U64(slab_pages_in_use(a), 4 + a->nclasses - 1);
    slab_arena_destroy(a);
}

static void test_page_move(void)
{
    slab_params p = test_params();
    slab_arena *a = slab_arena_create(&p, NULL);
    unsigned id = slab_class_for(a, 100);
    hash_ref r1 = slab_alloc(a, id, 100), r2 = slab_alloc(a, id, 100);
    uint32_t page = (uint32_t)(((size_t)(r1 - 1) * 8) / a->page_size);
    CHECK(slab_page_detach(a, page));
    CHECK(!slab_page_detach(a, page)); /* one move at a time */
    CHECK_EQ_U64(slab_page_used(a), 2);
    slab_free(a, r1, 100);
    CHECK_EQ_U64(slab_page_used(a), 1);
    slab_free(a, r2, 100);
    CHECK_EQ_U64(slab_page_used(a), 0);
    slab_page_release(a, page);
    CHECK_EQ_U64(slab_pages_in_use(a), 0);
    slab_class_info info;
    slab_class_info_read(a, id, &info);
    CHECK_EQ_U64(info.pages, 0);
    CHECK_EQ_U64(info.free, 0); /* the page's chunks are gone from the class */
    unsigned other = slab_class_for(a, 1000);
    CHECK(slab_page_grant(a, other));
    slab_class_info_read(a, other, &info);
    CHECK_EQ_U64(info.pages, 1);
    hash_ref r3 = slab_alloc(a, id, 100); /* takes a new page */
    CHECK(r3 != 0);
    slab_arena_destroy(a);
}

static void test_big_arena(void)
{
    slab_params p = test_params();
    CHECK_EQ_U64(slab_shift_for((size_t)31 << 30), 3);
    CHECK_EQ_U64(slab_shift_for((size_t)32 << 30), 4); /* 2^32 refs would be needed */
    CHECK_EQ_U64(slab_shift_for((size_t)33 << 30), 4);
    CHECK_EQ_U64(slab_shift_for((size_t)100 << 30), 5);
    p.memory_limit = (size_t)40 << 30; /* reserved, never touched */
    const char *why = NULL;
    slab_arena *a = slab_arena_create(&p, &why);
    CHECK(a != NULL);
    if (a == NULL) {
        fprintf(stderr, "40 GB arena: %s\n", why);
        return;
    }
    CHECK_EQ_U64(a->shift, 4);
    bool aligned = true;
    for (unsigned i = 1; i <= a->nclasses; i++)
        aligned = aligned && a->classes[i].size % 16 == 0;
    CHECK(aligned);
    unsigned id = slab_class_for(a, 142);
    CHECK_EQ_U64(a->classes[id].size, 144);
    hash_ref r = 0;
    for (int i = 0; i < 3; i++)
        r = slab_alloc(a, id, 142);
    CHECK_EQ_U64(slab_ref(a, slab_ptr(a, r)), r);
    CHECK_EQ_U64((char *)slab_ptr(a, r) - a->base, 2 * 144);
    /* the last page is reachable with a 32-bit ref */
    char *last = a->base + a->size - 16;
    CHECK(slab_ptr(a, slab_ref(a, last)) == last);
    slab_arena_destroy(a);
}

int main(void)
{
    test_default_layout();
    test_geometric_layout();
    test_explicit_layout();
    test_params_check();
    test_alloc_free();
    test_budget();
    test_first_page_beyond_budget();
    test_first_pages_all_classes();
    test_page_move();
    test_big_arena();
    return check_done("test_slab");
}
