// dicom.cpp - DICOM files through GDCM behind a C interface: the entry
// points of medcap-dicom.so (see dicom_so.h; each does what dicom.h says).
#include "io/dicom_so.h"
#define _Noreturn __attribute__((noreturn)) // util.h is C11
extern "C" {
#include "core/util.h"
}
#undef _Noreturn

#include <gdcmImage.h>
#include <gdcmImageReader.h>
#include <gdcmReader.h>
#include <gdcmSequenceOfItems.h>
#include <gdcmStringFilter.h>
#include <gdcmTrace.h>

#include <cerrno>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstddef>
#include <cstring>
#include <exception>
#include <memory>
#include <new>
#include <ostream>
#include <string>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>

struct mc_dcm {
    gdcm::ImageReader reader;
    int decoded;             // 1 once pixels points to the decoded pixel data
    const char *pixels;      // native little-endian data in the reader, or decoded.get()
    std::unique_ptr<char[]> decoded_data;
    int bytes;               // bytes per sample in pixels: 1, 2 or 4
    int planar;              // 1: colour planes one after another
    int ybr;                 // 1: YBR_FULL or YBR_FULL_422 samples, to convert
    int halves_swapped;      // 1: 32-bit samples come with their 16-bit halves swapped
    std::vector<uint16_t> voi_lut; // the VOI LUT's entries when info.voi_lut is 1
    int voi_first;           // the value mapped to voi_lut[0]
    int voi_bits;            // bits of an entry: output 0 .. 2^voi_bits - 1
    mc_dcm_info info;
};

/* GDCM's warnings and errors go to one stream for the process; its
 * buffer keeps what each thread writes in that thread's own string (up to
 * 4 KiB), read by open_dcm (to tell a truncated file) and never printed:
 * a warning may quote an attribute's value. */
static thread_local std::string gdcm_said;

class thread_sink : public std::streambuf {
  protected:
    int_type overflow(int_type c) override
    {
        if (c != traits_type::eof() && gdcm_said.size() < 4096)
            gdcm_said.push_back((char)c);
        return traits_type::not_eof(c);
    }
    std::streamsize xsputn(const char *s, std::streamsize n) override
    {
        if (gdcm_said.size() < 4096)
            gdcm_said.append(s, (size_t)n < 4096 ? (size_t)n : 4096);
        return n;
    }
};
static thread_sink sink;
static std::ostream gdcm_stream(&sink);

/* Limits the calling thread's single C++ allocations, while it lives, to
 * what parsing a file of file_size bytes can need (the limit and why:
 * model/io/dicom_alloc.cpp): no element is longer than the file; the
 * slack covers GDCM's own tables (8 times: a list of fragments costs
 * more per entry than the 8 bytes each takes in the file).  Clears the
 * refusal mark (mc_dcm_cap_refused). */
struct parse_cap {
    explicit parse_cap(uint64_t file_size)
    {
        uint64_t cap = 8 * file_size + ((uint64_t)1 << 20);
        mc_dcm_cap_begin(cap < SIZE_MAX ? (size_t)cap : SIZE_MAX);
    }
    ~parse_cap() { mc_dcm_cap_end(); }
    parse_cap(const parse_cap &) = delete;
    parse_cap &operator=(const parse_cap &) = delete;
};

/* Decoded pixel data above this many bytes is refused before decoding. */
static const uint64_t MAX_DECODED = (uint64_t)4 << 30;

void mc_dcm_so_init(void)
{
    gdcm::Trace::SetDebug(false);
    gdcm::Trace::SetWarningStream(gdcm_stream);
    gdcm::Trace::SetErrorStream(gdcm_stream);
    gdcm::Trace::SetWarning(true);
    gdcm::Trace::SetError(true);
}

/* Attribute (group, element) of the file as text without the padding
 * spaces and NULs DICOM adds; its first value when there are several
 * (backslash-separated) and first_only is set. */
static std::string attr(const gdcm::StringFilter &sf, const gdcm::DataSet &ds, uint16_t group,
                        uint16_t element, bool first_only = true)
{
    gdcm::Tag tag(group, element);
    if (!ds.FindDataElement(tag) || ds.GetDataElement(tag).IsEmpty())
        return std::string();
    std::string s = sf.ToString(tag);
    if (first_only)
        s = s.substr(0, s.find('\\'));
    size_t b = s.find_first_not_of(" \t\r\n");
    size_t e = s.find_last_not_of(std::string(" \t\r\n\0", 5));
    return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

/* Copy s into a fixed field of n bytes (cut to fit). */
static void put(char *field, size_t n, const std::string &s)
{
    snprintf(field, n, "%s", s.c_str());
}

/* s as a finite number into *v; false (and *v untouched) when it is not one. */
static bool number(const std::string &s, double *v)
{
    char *end;
    double x;
    if (s.empty())
        return false;
    errno = 0;
    x = strtod(s.c_str(), &end);
    if (end == s.c_str() || *end != '\0' || errno != 0 || !std::isfinite(x))
        return false;
    *v = x;
    return true;
}

/* A whole number attribute from 0, dflt when absent, or -1 when it is
 * not one (a malformed value, e.g. "1A"). */
static int whole(const std::string &s, int dflt)
{
    double v;
    if (s.empty())
        return dflt;
    return number(s, &v) && v >= 0 && v <= 2147483647.0 && v == std::floor(v) ? (int)v : -1;
}

/* Patient's Age (an AS value: up to 3 digits and D, W, M or Y) in whole
 * years, ages over 89 as 90 (HIPAA's Safe Harbor groups them); -1 when
 * empty or not of that form. */
static int age_years(const std::string &s)
{
    size_t digits = s.find_first_not_of("0123456789");
    if (digits < 1 || digits > 3 || digits + 1 != s.size())
        return -1;
    int n = atoi(s.c_str()), years;
    switch (s[digits]) {
    case 'D': years = n / 365; break;
    case 'W': years = n * 7 / 365; break;
    case 'M': years = n / 12; break;
    case 'Y': years = n; break;
    default: return -1;
    }
    return years > 89 ? 90 : years;
}

/* Fill info from the data set (every mode: the image geometry here is
 * what the header says; mc_dcm_open checks it against GDCM's image).
 * Returns 0, or MC_EXIT_INPUT with err set when an attribute of the
 * geometry holds no valid number. */
static int read_info(const gdcm::File &file, mc_dcm_info *info, char *err, size_t n)
{
    const gdcm::DataSet &ds = file.GetDataSet();
    gdcm::StringFilter sf;
    std::string s;
    double v[6];
    sf.SetFile(file);
    memset(info, 0, sizeof *info);
    info->width = whole(attr(sf, ds, 0x0028, 0x0011), 0);
    info->height = whole(attr(sf, ds, 0x0028, 0x0010), 0);
    info->frames = whole(attr(sf, ds, 0x0028, 0x0008), 1);
    info->samples = whole(attr(sf, ds, 0x0028, 0x0002), 1);
    info->bits_stored = whole(attr(sf, ds, 0x0028, 0x0101), 0);
    info->is_signed = whole(attr(sf, ds, 0x0028, 0x0103), 0) == 1;
    static const struct {
        const char *name;
        int offset;
    } geometry[] = {
        {"Columns", offsetof(mc_dcm_info, width)},
        {"Rows", offsetof(mc_dcm_info, height)},
        {"Number of Frames", offsetof(mc_dcm_info, frames)},
        {"Samples per Pixel", offsetof(mc_dcm_info, samples)},
        {"Bits Stored", offsetof(mc_dcm_info, bits_stored)},
    };
    for (const auto &g : geometry)
        if (*(const int *)((const char *)info + g.offset) < 0) {
            snprintf(err, n, "malformed %s value in the DICOM header (not a whole number)", g.name);
            return MC_EXIT_INPUT;
        }
    put(info->photometric, sizeof info->photometric, attr(sf, ds, 0x0028, 0x0004));
    info->monochrome1 = strcmp(info->photometric, "MONOCHROME1") == 0;
    info->slope = 1.0;
    if (number(attr(sf, ds, 0x0028, 0x1053), &v[0]) && v[0] != 0.0)
        info->slope = v[0];
    number(attr(sf, ds, 0x0028, 0x1052), &info->intercept);
    if (number(attr(sf, ds, 0x0028, 0x1050), &v[0]) && number(attr(sf, ds, 0x0028, 0x1051), &v[1]) &&
        v[1] >= 1.0) {
        info->has_window = 1;
        info->window_center = v[0];
        info->window_width = v[1];
    }
    s = attr(sf, ds, 0x0020, 0x0037, false);
    if (sscanf(s.c_str(), "%lf\\%lf\\%lf\\%lf\\%lf\\%lf", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) == 6) {
        info->has_orientation = 1;
        memcpy(info->orientation, v, sizeof info->orientation);
    }
    s = attr(sf, ds, 0x0028, 0x0030, false);
    if (sscanf(s.c_str(), "%lf\\%lf", &v[0], &v[1]) == 2 && v[0] > 0 && v[1] > 0) {
        info->has_spacing = 1;
        info->spacing[0] = v[0];
        info->spacing[1] = v[1];
    }
    put(info->transfer_syntax, sizeof info->transfer_syntax, attr(sf, file.GetHeader(), 0x0002, 0x0010));
    put(info->modality, sizeof info->modality, attr(sf, ds, 0x0008, 0x0060));
    put(info->view, sizeof info->view, attr(sf, ds, 0x0018, 0x5101));
    put(info->body_part, sizeof info->body_part, attr(sf, ds, 0x0018, 0x0015));
    s = attr(sf, ds, 0x0020, 0x0062);
    put(info->laterality, sizeof info->laterality, s.empty() ? attr(sf, ds, 0x0020, 0x0060) : s);
    s = attr(sf, ds, 0x0010, 0x0040);
    put(info->sex, sizeof info->sex, s == "M" ? "male" : s == "F" ? "female" : "");
    info->age = age_years(attr(sf, ds, 0x0010, 0x1010));
    put(info->patient_id, sizeof info->patient_id, attr(sf, ds, 0x0010, 0x0020));
    put(info->study_uid, sizeof info->study_uid, attr(sf, ds, 0x0020, 0x000D));
    put(info->series_uid, sizeof info->series_uid, attr(sf, ds, 0x0020, 0x000E));
    put(info->sop_uid, sizeof info->sop_uid, attr(sf, ds, 0x0008, 0x0018));
    return 0;
}

/* The first item of the VOI LUT Sequence (0028,3010) of ds into d (LUT
 * Descriptor: entries (0: 65536), first mapped value, bits per entry;
 * LUT Data: one 16-bit word per entry, in host order as GDCM gives it).
 * The first mapped value is signed when its VR is SS, or, in an implicit
 * VR file, when the pixels are signed (as pydicom decides).  Returns 1,
 * 0 when there is no sequence or its item lacks the descriptor or the
 * data (as pydicom, which then windows), or -1 when they are malformed
 * (a descriptor of other than 3 values, bits outside 8..16, fewer words
 * than entries). */
static int read_voi_lut(const gdcm::DataSet &ds, int pixels_signed, mc_dcm *d)
{
    const gdcm::Tag sequence(0x0028, 0x3010), descriptor(0x0028, 0x3002), data(0x0028, 0x3006);
    if (!ds.FindDataElement(sequence) || ds.GetDataElement(sequence).IsEmpty())
        return 0;
    gdcm::SmartPointer<gdcm::SequenceOfItems> items = ds.GetDataElement(sequence).GetValueAsSQ();
    if (!items || items->GetNumberOfItems() < 1)
        return 0;
    const gdcm::DataSet &item = items->GetItem(1).GetNestedDataSet();
    if (!item.FindDataElement(descriptor) || !item.FindDataElement(data))
        return 0;
    const gdcm::DataElement &de = item.GetDataElement(descriptor);
    const gdcm::ByteValue *desc = de.GetByteValue(), *words = item.GetDataElement(data).GetByteValue();
    uint16_t v[3];
    if (!desc || desc->GetLength() != sizeof v || !words)
        return -1;
    memcpy(v, desc->GetPointer(), sizeof v);
    size_t entries = v[0] ? v[0] : 65536;
    bool first_signed = de.GetVR() == gdcm::VR::SS || (de.GetVR() != gdcm::VR::US && pixels_signed);
    if (v[2] < 8 || v[2] > 16 || words->GetLength() < 2 * entries)
        return -1;
    d->voi_lut.resize(entries);
    memcpy(d->voi_lut.data(), words->GetPointer(), 2 * entries);
    d->voi_first = first_signed ? (int)(int16_t)v[1] : (int)v[1];
    d->voi_bits = v[2];
    return 1;
}

/* Whether the file at path can be read, with its size in *size; errno
 * set otherwise. */
static bool readable(const char *path, uint64_t *size)
{
    struct stat st;
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    if (fstat(fileno(f), &st) != 0) {
        int e = errno;
        fclose(f);
        errno = e;
        return false;
    }
    *size = (uint64_t)st.st_size;
    fclose(f);
    return true;
}

/* Seconds a header-parsing child may take before it is taken for hung. */
#define HEADER_CHILD_SECONDS 10
/* Tries of the child before the parent parses without one. */
#define HEADER_CHILD_TRIES 3

/* The child's status, or -1 if it has not ended within
 * HEADER_CHILD_SECONDS (it is then killed and reaped) or cannot be
 * waited for. */
static int wait_child(pid_t pid)
{
    struct timespec nap = {0, 200000}; /* 0.2 ms, doubling up to 20 ms */
    double waited = 0;
    int st;
    for (;;) {
        pid_t r = waitpid(pid, &st, WNOHANG);
        if (r == pid)
            return st;
        if (r < 0 && errno != EINTR)
            return -1;
        if (waited > HEADER_CHILD_SECONDS) {
            kill(pid, SIGKILL);
            while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
                ;
            return -1;
        }
        nanosleep(&nap, NULL);
        waited += (double)nap.tv_nsec / 1e9;
        if (nap.tv_nsec < 20000000)
            nap.tv_nsec *= 2;
    }
}

/* 1 when GDCM parses path's elements up to the pixel data without dying,
 * tried in a child process: Debian's GDCM asserts (aborts the process) on
 * some malformed files, e.g. one cut within its first elements, instead of
 * returning an error, and that would end a whole batch.  0 when the child
 * died of a signal; 1 too when no child could be made (the parent then
 * takes its chances).  Costs a fork and a second parse of the header.
 * A child forked while another of our threads held an allocator lock can
 * wait on it forever (AddressSanitizer's allocator is not fork-safe: it
 * hung the sanitized suite); a child that has not ended in
 * HEADER_CHILD_SECONDS is killed and the fork tried again. */
static int header_survives(const char *path)
{
    for (int tries = 0; tries < HEADER_CHILD_TRIES; tries++) {
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) { /* the child: parse, say nothing, exit without cleanup */
            int fd = open("/dev/null", O_WRONLY);
            if (fd >= 0)
                dup2(fd, 2);
            try {
                gdcm::Reader r;
                r.SetFileName(path);
                r.ReadUpToTag(gdcm::Tag(0x7fe0, 0x0010));
            } catch (...) {
            }
            _exit(0);
        }
        int st = wait_child(pid);
        if (st != -1)
            return !WIFSIGNALED(st);
    }
    return 1;
}

/* Open, in the modes of mc_dcm_open; GDCM's allocations limited by a
 * parse_cap (a std::bad_alloc may come out of here, with
 * mc_dcm_cap_refused() 1 when the cap threw it). */
static int open_dcm(const char *path, int header_only, mc_dcm *d, char *err, size_t n)
{
    const gdcm::Tag pixel_data(0x7fe0, 0x0010);
    gdcm::Reader &r = d->reader;
    uint64_t size;
    r.SetFileName(path);
    if (!readable(path, &size)) {
        snprintf(err, n, "cannot open: %s", strerror(errno));
        return MC_EXIT_IO;
    }
    parse_cap cap(size);
    if (!header_survives(path)) {
        snprintf(err, n, "not a readable DICOM file (truncated or malformed: GDCM fails on it)");
        return MC_EXIT_INPUT;
    }
    if (header_only) {
        if (!r.ReadUpToTag(pixel_data)) {
            snprintf(err, n, "not a readable DICOM file (truncated, or a malformed element%s)",
                     mc_dcm_cap_refused() ? " claiming more bytes than the file holds" : "");
            return MC_EXIT_INPUT;
        }
        return read_info(r.GetFile(), &d->info, err, n);
    }
    gdcm_said.clear();
    if (!d->reader.Read()) {
        const gdcm::DataSet &ds = r.GetFile().GetDataSet();
        if (mc_dcm_cap_refused())
            snprintf(err, n, "not a readable DICOM file (an element claims more bytes than the "
                             "file holds)");
        else if (!ds.IsEmpty() && !ds.FindDataElement(pixel_data))
            snprintf(err, n, "DICOM file without pixel data (or cut before it)");
        else
            snprintf(err, n, "not a readable DICOM image (truncated, a malformed element, or an "
                             "unknown transfer syntax)");
        return MC_EXIT_INPUT;
    }
    if (gdcm_said.find("Incomplete Pixel Data") != std::string::npos) {
        snprintf(err, n, "DICOM pixel data is cut short (a truncated file)");
        return MC_EXIT_INPUT;
    }
    if (read_info(r.GetFile(), &d->info, err, n) != 0)
        return MC_EXIT_INPUT;
    try {
        d->info.voi_lut = read_voi_lut(r.GetFile().GetDataSet(), d->info.is_signed, d);
    } catch (const std::exception &) { /* a sequence GDCM cannot parse */
        d->info.voi_lut = -1;
    }
    const gdcm::Image &im = d->reader.GetImage();
    const gdcm::PixelFormat &pf = im.GetPixelFormat();
    mc_dcm_info *info = &d->info;
    info->width = (int)im.GetDimension(0);
    info->height = (int)im.GetDimension(1);
    info->frames = im.GetNumberOfDimensions() > 2 ? (int)im.GetDimension(2) : 1;
    info->samples = pf.GetSamplesPerPixel();
    info->bits_stored = pf.GetBitsStored();
    info->is_signed = pf.GetPixelRepresentation() == 1;
    info->slope = im.GetSlope() != 0.0 ? im.GetSlope() : 1.0;
    info->intercept = im.GetIntercept();
    if (!r.GetFile().GetDataSet().FindDataElement(pixel_data)) {
        snprintf(err, n, "DICOM file without pixel data");
        return MC_EXIT_INPUT;
    }
    if (info->width < 1 || info->height < 1 || info->frames < 1) {
        snprintf(err, n, "DICOM image of %dx%d pixels and %d frames", info->width, info->height,
                 info->frames);
        return MC_EXIT_INPUT;
    }
    if (info->samples != 1 && info->samples != 3) {
        snprintf(err, n, "DICOM image of %d samples per pixel (need 1 or 3)", info->samples);
        return MC_EXIT_INPUT;
    }
    if (pf.GetBitsAllocated() != 8 && pf.GetBitsAllocated() != 16 && pf.GetBitsAllocated() != 32) {
        snprintf(err, n, "DICOM image of %d bits allocated (need 8, 16 or 32)",
                 (int)pf.GetBitsAllocated());
        return MC_EXIT_INPUT;
    }
    d->bytes = pf.GetBitsAllocated() / 8;
    if (info->bits_stored < 1 || info->bits_stored > 8 * d->bytes)
        info->bits_stored = 8 * d->bytes;
    const gdcm::ByteValue *raw = r.GetFile().GetDataSet().GetDataElement(pixel_data).GetByteValue();
    uint64_t want = (uint64_t)info->width * info->height * info->frames * info->samples * d->bytes;
    if (strcmp(info->photometric, "YBR_FULL_422") == 0 && raw)
        want = want / 3 * 2; /* two luma samples share one Cb, Cr pair */
    if (raw && raw->GetLength() < want) { /* native (not encapsulated) pixel data */
        snprintf(err, n, "DICOM pixel data of %u bytes is shorter than the %llu of the image "
                         "(a truncated file?)", (unsigned)raw->GetLength(), (unsigned long long)want);
        return MC_EXIT_INPUT;
    }
    return 0;
}

int mc_dcm_so_open(const char *path, int header_only, mc_dcm **out, mc_dcm_info *info,
                   char *err, size_t errlen)
{
    int status;
    mc_dcm *d;
    *out = NULL;
    try {
        d = new mc_dcm();
    } catch (const std::bad_alloc &) {
        mc_die(MC_EXIT_INTERNAL, "out of memory opening a DICOM file");
    }
    d->decoded = 0;
    try {
        status = open_dcm(path, header_only, d, err, errlen);
    } catch (const std::bad_alloc &) {
        if (!mc_dcm_cap_refused())
            mc_die(MC_EXIT_INTERNAL, "out of memory reading a DICOM file");
        snprintf(err, errlen, "not a readable DICOM file (an element claims more bytes than the "
                              "file holds)");
        status = MC_EXIT_INPUT;
    } catch (const std::exception &) {
        snprintf(err, errlen, "not a readable DICOM file (GDCM could not parse it)");
        status = MC_EXIT_INPUT;
    }
    if (status != 0) {
        delete d;
        return status;
    }
    *info = d->info;
    *out = d;
    return 0;
}

/* Decode the whole pixel data into d->pixels (once). */
static int decode(mc_dcm *d, char *err, size_t n)
{
    const gdcm::Image &im = d->reader.GetImage();
    const mc_dcm_info *info = &d->info;
    uint64_t want = (uint64_t)info->width * info->height * info->frames * info->samples * d->bytes;
    gdcm::PhotometricInterpretation::PIType pi = im.GetPhotometricInterpretation().GetType();
    if (want > MAX_DECODED) {
        snprintf(err, n, "DICOM pixel data of %llu bytes decoded, over the limit of %llu",
                 (unsigned long long)want, (unsigned long long)MAX_DECODED);
        return MC_EXIT_INPUT;
    }
    if (info->samples == 3 && d->bytes > 1 &&
        im.GetTransferSyntax() == gdcm::TransferSyntax::RLELossless) {
        snprintf(err, n, "16 and 32-bit colour RLE images are not supported (GDCM mixes their bytes)");
        return MC_EXIT_INPUT;
    }
    if (pi == gdcm::PhotometricInterpretation::PALETTE_COLOR) {
        snprintf(err, n, "palette colour DICOM images are not supported");
        return MC_EXIT_INPUT;
    }
    if (im.GetBufferLength() < want) {
        snprintf(err, n, "DICOM pixel data is shorter than %dx%d x %d frames",
                 info->width, info->height, info->frames);
        return MC_EXIT_INPUT;
    }
    const gdcm::ByteValue *raw =
        d->reader.GetFile().GetDataSet().GetDataElement(gdcm::Tag(0x7fe0, 0x0010)).GetByteValue();
    const gdcm::TransferSyntax &ts = im.GetTransferSyntax();
    if (raw && raw->GetLength() >= want && pi != gdcm::PhotometricInterpretation::YBR_FULL_422 &&
        (ts == gdcm::TransferSyntax::ImplicitVRLittleEndian ||
         ts == gdcm::TransferSyntax::ExplicitVRLittleEndian)) {
        /* native little-endian samples as stored: read in place, no copy
         * (sample() masks the bits above Bits Stored) */
        d->pixels = raw->GetPointer();
    } else {
        d->decoded_data.reset(new char[im.GetBufferLength()]);
        d->pixels = d->decoded_data.get();
        if (!im.GetBuffer(d->decoded_data.get())) {
            snprintf(err, n, "cannot decode the pixel data (transfer syntax %s: %s)",
                     info->transfer_syntax, gdcm::TransferSyntax::GetTSString(ts));
            return MC_EXIT_INPUT;
        }
    }
    /* GDCM 3.0 swaps big-endian data as 16-bit words, whatever Bits Allocated */
    d->halves_swapped = d->bytes == 4 && im.GetTransferSyntax() == gdcm::TransferSyntax::ExplicitVRBigEndian;
    d->planar = info->samples == 3 && im.GetPlanarConfiguration() == 1;
    d->ybr = info->samples == 3 && (pi == gdcm::PhotometricInterpretation::YBR_FULL ||
                                    pi == gdcm::PhotometricInterpretation::YBR_FULL_422);
    d->decoded = 1;
    return 0;
}

/* Sample i of the decoded data (of frame's first byte at base) as a
 * number: the low bits_stored bits, sign-extended when signed. */
static double sample(const mc_dcm *d, const char *base, size_t i)
{
    uint32_t raw;
    int bits = d->info.bits_stored;
    if (d->bytes == 1) {
        raw = (uint8_t)base[i];
    } else if (d->bytes == 2) {
        uint16_t u;
        memcpy(&u, base + 2 * i, 2);
        raw = u;
    } else {
        memcpy(&raw, base + 4 * i, 4);
        if (d->halves_swapped)
            raw = raw << 16 | raw >> 16;
    }
    if (bits < 32)
        raw &= (1u << bits) - 1u;
    if (d->info.is_signed && (raw >> (bits - 1)) & 1u)
        return (double)raw - (bits < 32 ? (double)(1u << bits) : 4294967296.0);
    return (double)raw;
}

/* An 8-bit YBR_FULL triple to RGB (ITU-R BT.601 full range, as DICOM
 * PS3.3 C.7.6.3.1.2), rounded and clipped to 0..255. */
static void ybr_to_rgb(double y, double cb, double cr, float *rgb)
{
    double v[3] = {y + 1.402 * (cr - 128.0), y - 0.344136 * (cb - 128.0) - 0.714136 * (cr - 128.0),
                   y + 1.772 * (cb - 128.0)};
    for (int c = 0; c < 3; c++)
        rgb[c] = (float)std::round(v[c] < 0 ? 0 : v[c] > 255 ? 255 : v[c]);
}

int mc_dcm_so_frame(mc_dcm *d, int frame, float *out, char *err, size_t n)
{
    const mc_dcm_info *info = &d->info;
    size_t plane = (size_t)info->width * info->height;
    if (frame < 0 || frame >= info->frames) {
        snprintf(err, n, "no frame %d (the image has %d)", frame, info->frames);
        return MC_EXIT_INPUT;
    }
    if (!d->decoded) {
        int status;
        try {
            status = decode(d, err, n);
        } catch (const std::bad_alloc &) {
            mc_die(MC_EXIT_INTERNAL, "out of memory decoding a DICOM image");
        } catch (const std::exception &) {
            snprintf(err, n, "cannot decode the pixel data (GDCM failed)");
            status = MC_EXIT_INPUT;
        }
        if (status != 0)
            return status;
    }
    const char *base = d->pixels + (size_t)frame * plane * info->samples * d->bytes;
    if (info->samples == 1) {
        for (size_t i = 0; i < plane; i++)
            out[i] = (float)(sample(d, base, i) * info->slope + info->intercept);
        return 0;
    }
    for (size_t i = 0; i < plane; i++) {
        double s[3];
        for (int c = 0; c < 3; c++)
            s[c] = sample(d, base, d->planar ? c * plane + i : 3 * i + c);
        if (d->ybr && d->bytes == 1)
            ybr_to_rgb(s[0], s[1], s[2], out + 3 * i);
        else
            for (int c = 0; c < 3; c++)
                out[3 * i + c] = (float)s[c];
    }
    return 0;
}

void mc_dcm_so_voi_lut(const mc_dcm *d, float *v, size_t n)
{
    const uint16_t *lut = d->voi_lut.data();
    double last = (double)d->voi_lut.size() - 1, top = std::ldexp(1.0, d->voi_bits) - 1.0;
    for (size_t i = 0; i < n; i++) {
        double k = std::floor((double)v[i] - d->voi_first);
        double t = lut[!(k >= 0) ? 0 : k > last ? (size_t)last : (size_t)k] / top;
        v[i] = (float)(t > 1.0 ? 1.0 : t);
    }
}

void mc_dcm_so_close(mc_dcm *d)
{
    delete d;
}
