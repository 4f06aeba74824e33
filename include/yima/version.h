/* SPDX-License-Identifier: MIT */
#ifndef YIMA_VERSION_H
#define YIMA_VERSION_H

/* CMake reads these three lines: they are the one source of the version. */
#define YIMA_VERSION_MAJOR 0
#define YIMA_VERSION_MINOR 1
#define YIMA_VERSION_PATCH 0

#define YIMA_VERSION_NUMBER \
    (YIMA_VERSION_MAJOR * 10000 + YIMA_VERSION_MINOR * 100 + YIMA_VERSION_PATCH)

#if defined(YIMA_BUILDING) && defined(__GNUC__)
#define YIMA_API __attribute__((visibility("default")))
#else
#define YIMA_API
#endif

#define YIMA_NODISCARD __attribute__((warn_unused_result))

#ifdef __cplusplus
extern "C" {
#endif
/* "MAJOR.MINOR.PATCH" of the library actually linked. */
YIMA_API const char *yima_version_string(void);
#ifdef __cplusplus
}
#endif
#endif
