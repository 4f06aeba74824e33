/* SPDX-License-Identifier: MIT */
/* Link event lines in TSV ([@ID] [TIME] TYPE args...); see fuzz_link.h. */
#include "fuzz_link.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fz_link_run(data, size, 0);
}
