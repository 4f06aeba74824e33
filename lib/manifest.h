/* SPDX-License-Identifier: MIT */
/*
 * Signed manifests beside gen outputs (format in yima-gen(1)).
 * The signature is Ed25519 over the canonical JSON (sorted keys, no spaces,
 * RFC 8785 for these ASCII strings and integers) of the manifest object
 * without its "signature" member, prefixed by "yima-manifest-1\n".
 */
#ifndef YIMA_MANIFEST_H
#define YIMA_MANIFEST_H

#include "yima/gen.h"

int yima_manifest_write(const char *path, const yima_key *key, const yima_gen_options *opt,
                        const yima_gen_result *result, int header, yima_err *err);

#endif
