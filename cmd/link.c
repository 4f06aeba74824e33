/* SPDX-License-Identifier: MIT */
/* PLACEHOLDER: replaced by the link work (issue 4). */
#include "common.h"
int cmd_link(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return usage_error("link", "not built yet");
}
