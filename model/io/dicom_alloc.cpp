// dicom_alloc.cpp - the limit on GDCM's allocations (see dicom_so.h): the
// global operator new and delete of a program that reads DICOM, linked
// into the program itself, never into medcap-dicom.so.
//
// GDCM allocates an element's value at the length its header claims, and
// zero-fills it, before reading it: a 7 KB file whose pixel data claims
// 2 GB cost 40 s and 2 GB on the dev box, and one of GDCM's fall-back
// parses of a misencoded file (an implicit VR data set under an explicit
// VR transfer syntax, as pydicom's SC_rgb_jpeg.dcm) takes text for such a
// length (1.3 GB for a 4 KB file).  While a cap is set on a thread
// (mc_dcm_cap_begin), a single C++ allocation on that thread over it
// throws std::bad_alloc before any byte is touched (alloc_refused records
// it): the first file is then bad input at once; GDCM takes the second's
// as its parse mode failing and tries the next, which reads it (as
// pydicom does) in milliseconds.  The replacements are malloc and free,
// as libstdc++'s own, so that sanitizers see matching pairs.
#include "io/dicom_so.h"

#include <cstdlib>
#include <new>

static thread_local size_t alloc_cap; // 0: no limit
static thread_local bool alloc_refused;

void mc_dcm_cap_begin(size_t cap)
{
    alloc_cap = cap;
    alloc_refused = false;
}

void mc_dcm_cap_end(void)
{
    alloc_cap = 0;
}

int mc_dcm_cap_refused(void)
{
    return alloc_refused;
}

void *operator new(std::size_t n)
{
    if (alloc_cap != 0 && n > alloc_cap) {
        alloc_refused = true;
        throw std::bad_alloc();
    }
    void *p = std::malloc(n ? n : 1);
    if (!p)
        throw std::bad_alloc();
    return p;
}
void *operator new[](std::size_t n) { return ::operator new(n); }
void *operator new(std::size_t n, const std::nothrow_t &) noexcept
{
    try {
        return ::operator new(n);
    } catch (const std::bad_alloc &) {
        return nullptr;
    }
}
void *operator new[](std::size_t n, const std::nothrow_t &t) noexcept { return ::operator new(n, t); }
// noinline: inlined into a delete expression, free() would draw GCC's
// -Wmismatched-new-delete
__attribute__((noinline)) void operator delete(void *p) noexcept { std::free(p); }
void operator delete[](void *p) noexcept { ::operator delete(p); }
void operator delete(void *p, std::size_t) noexcept { ::operator delete(p); }
void operator delete[](void *p, std::size_t) noexcept { ::operator delete(p); }
void operator delete(void *p, const std::nothrow_t &) noexcept { ::operator delete(p); }
void operator delete[](void *p, const std::nothrow_t &) noexcept { ::operator delete(p); }
