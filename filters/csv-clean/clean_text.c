/* clean_text.c - caption text clean-up: case, whitespace, UTF-8, word counts. */
#define _POSIX_C_SOURCE 200809L
#include "clean.h"
#include "core/util.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

int clean_text_utf8(const char *str)
{
    const unsigned char *s = (const unsigned char *)str;
    while (*s) {
        unsigned c = *s;
        int n;
        unsigned cp;
        if (c < 0x80) {
            s++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else return 0;
        for (int i = 1; i <= n; i++) {
            if ((s[i] & 0xC0) != 0x80)
                return 0;
            cp = (cp << 6) | (s[i] & 0x3F);
        }
        if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
            (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
            return 0;
        s += n + 1;
    }
    return 1;
}

static int is_space(int c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

char *clean_text_normalise(const char *s)
{
    char *out, *o;
    int pending = 0;
    if (!clean_text_utf8(s))
        return NULL;
    out = o = mc_malloc(strlen(s) + 1);
    for (; *s; s++) {
        int c = (unsigned char)*s;
        if (is_space(c)) {
            pending = o != out;
            continue;
        }
        if (pending)
            *o++ = ' ';
        pending = 0;
        *o++ = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    *o = '\0';
    return out;
}

long clean_text_words(const char *s)
{
    long n = 0;
    for (; *s; s++)
        if (*s != ' ' && (s[1] == ' ' || s[1] == '\0'))
            n++;
    return n;
}

int clean_text_placeholder(const char *s)
{
    return strncmp(s, "replace this", 12) == 0 || strncmp(s, "in progress", 11) == 0;
}

int clean_text_age(const char *s, long *age)
{
    return *s ? mc_parse_long(s, 0, 200, age) : -1;
}

const char *clean_text_sex(const char *s)
{
    size_t n;
    if (!s)
        return NULL;
    s += strspn(s, " \t");
    n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if ((n == 1 && (*s == 'm' || *s == 'M')) || (n == 4 && strncasecmp(s, "male", 4) == 0))
        return "male";
    if ((n == 1 && (*s == 'f' || *s == 'F')) || (n == 6 && strncasecmp(s, "female", 6) == 0))
        return "female";
    return NULL;
}
