/* test_carve.c - work space sized and cut by the same code (core/carve.h):
 * the sizing pass counts what the cutting pass hands out, every array is
 * aligned, inside the block and apart from the others (written to its end,
 * which AddressSanitizer checks), and a work space grows zeroed and is
 * reused when large enough.  Exits 1 on failure.
 */
#include "core/carve.h"

#include "check.h"

#include <string.h>

/* Cut arrays of the sizes n[0..k) (floats, then ints alternately) from w;
 * check and fill them; returns the bytes cut. */
static size_t cut(mc_workspace *w, const size_t *n, int count)
{
    void *p[8];
    mc_carve k = MC_CARVE_INIT;
    int passes = 0, apart = 1, aligned = 1, nulls = 1;
    do {
        for (int i = 0; i < count; i++)
            p[i] = i % 2 ? (void *)mc_carve_ints(&k, n[i]) : (void *)mc_carve_floats(&k, n[i]);
        if (passes++ == 0)
            for (int i = 0; i < count; i++)
                nulls &= p[i] == NULL;
    } while (mc_carve_next(&k, w));
    check(passes == 2 && nulls, "two passes: the first counts and hands out NULL");
    for (int i = 0; i < count; i++) {
        size_t bytes = n[i] * (i % 2 ? sizeof(int) : sizeof(float));
        unsigned char *a = p[i];
        aligned &= (size_t)(a - k.base) % MC_CARVE_ALIGN == 0;
        apart &= a >= k.base && a + bytes <= k.base + k.used;
        if (i + 1 < count)
            apart &= a + bytes <= (unsigned char *)p[i + 1];
        memset(a, 0xff, bytes);
    }
    check(aligned, "every array starts MC_CARVE_ALIGN-aligned from the block");
    check(apart, "arrays lie inside the cut bytes, one after the other");
    check(k.used <= w->cap && k.base == w->p, "the block is the work space, large enough");
    return k.used;
}

int main(void)
{
    mc_workspace w = MC_WORKSPACE_INIT;
    const size_t tiny[] = {1, 1, 1, 1, 1, 1, 1, 1}, odd[] = {3, 7, 1, 0, 7, 3};
    size_t used, zeros = 0;
    void *first;
    used = cut(&w, tiny, 8);
    check(used == 8 * MC_CARVE_ALIGN, "eight one-element arrays take eight aligned slots");
    first = w.p;
    used = cut(&w, odd, 6);
    check(used == 5 * MC_CARVE_ALIGN && w.p == first, "a smaller layout reuses the block");
    {
        const size_t big[] = {1000, 17};
        used = cut(&w, big, 2);
        check(used == 4032 + 128, "a larger layout: each size rounded up to 64 bytes");
    }
    mc_workspace_free(&w);
    check(w.p == NULL && w.cap == 0, "a freed work space is empty");
    {
        unsigned char *b = mc_workspace_fit(&w, 100);
        for (int i = 0; i < 100; i++)
            zeros += b[i] == 0;
        check(zeros == 100 && w.cap >= 100, "a work space grows zeroed");
        check(mc_workspace_fit(&w, 50) == b, "a smaller fit keeps the block");
    }
    mc_workspace_free(&w);
    if (failures)
        printf("%d check(s) failed\n", failures);
    return failures ? 1 : 0;
}
