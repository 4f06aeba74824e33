/* SPDX-License-Identifier: MIT */
/* PLACEHOLDER: replaced by the render work (issue 3). */
#include "common.h"
int cmd_render(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return usage_error("render", "not built yet");
}
