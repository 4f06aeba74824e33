/* SPDX-License-Identifier: MIT */
#include "internal.h"

int yima_parse_u64(const char *text, uint64_t max, uint64_t *value)
{
    uint64_t v = 0;
    if (!text || !*text)
        return -1;
    for (const char *p = text; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        unsigned d = (unsigned)(*p - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *value = v;
    return 0;
}
