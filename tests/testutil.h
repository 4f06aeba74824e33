/* SPDX-License-Identifier: MIT */
#ifndef YIMA_TESTUTIL_H
#define YIMA_TESTUTIL_H
#endif
