/* SPDX-License-Identifier: MIT */
/* GS1 Core Business Vocabulary (CBV 2.0) terms of the lifecycle events:
 * DECOMMISSION reasons and the bizStep and disposition each exports as. */
#include <string.h>
#include <strings.h>
#include "link_internal.h"

/* A reason, the bizStep and disposition its EPCIS event carries. CBV has no
 * disposition "sampled": a QA pull is the bizStep "sampling" of an object
 * that leaves use (inactive). A destroyed code's step is "destroying". */
static const struct reason {
    const char *name, *biz_step, *disposition;
} reasons[] = {
    {"sampled", "sampling", "inactive"},
    {"damaged", "decommissioning", "damaged"},
    {"destroyed", "destroying", "destroyed"},
    {"recalled", "decommissioning", "recalled"},
    {"stolen", "decommissioning", "stolen"},
    {"expired", "decommissioning", "expired"},
};
#define NREASONS (sizeof reasons / sizeof *reasons)

/* The CBV 1.x/2.0 URN prefix of dispositions, as EPCIS XML writes them. */
static const char disp_urn[] = "urn:epcglobal:cbv:disp:";

const char *lk_reason_parse(const char *text, size_t len)
{
    size_t pl = sizeof disp_urn - 1;
    if (len > pl && strncasecmp(text, disp_urn, pl) == 0) {
        text += pl;
        len -= pl;
    }
    for (size_t i = 0; i < NREASONS; i++)
        if (strlen(reasons[i].name) == len && strncasecmp(text, reasons[i].name, len) == 0)
            return reasons[i].name;
    return NULL;
}

void lk_reason_cbv(const char *reason, const char **biz_step, const char **disposition)
{
    *biz_step = "decommissioning";
    *disposition = "inactive";
    for (size_t i = 0; reason && i < NREASONS; i++)
        if (strcmp(reason, reasons[i].name) == 0) {
            *biz_step = reasons[i].biz_step;
            *disposition = reasons[i].disposition;
        }
}

int lk_is_uri(const char *text, size_t len)
{
    size_t i = 0;
    /* RFC 3986: scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (len == 0 || !((text[0] | 0x20) >= 'a' && (text[0] | 0x20) <= 'z'))
        return 0;
    while (i < len && text[i] != ':') {
        char c = text[i++];
        int ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || (c >= '0' && c <= '9') ||
                 c == '+' || c == '-' || c == '.';
        if (!ok)
            return 0;
    }
    if (i + 1 >= len)
        return 0;
    for (; i < len; i++)
        if ((unsigned char)text[i] <= 0x20 || text[i] == 0x7f)
            return 0;
    return 1;
}
