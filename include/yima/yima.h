/* SPDX-License-Identifier: MIT */
/* yima: one item, one code. The umbrella header. */
#ifndef YIMA_H
#define YIMA_H
#include "yima/version.h"
#include "yima/errors.h"
#include "yima/key.h"
#include "yima/code.h"
#include "yima/common.h"
#include "yima/gen.h"
#include "yima/verify.h"
#include "yima/link.h"
#include "yima/render.h"
#endif
