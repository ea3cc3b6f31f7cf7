#include "build_info.h"

#if __has_include("build_info_generated.h")
#include "build_info_generated.h"
#endif

#ifndef CLA_BUILD_REVISION
#define CLA_BUILD_REVISION "unknown"
#endif
#ifndef CLA_BUILD_DATE
#define CLA_BUILD_DATE ""
#endif

const char *cla_build_revision(void) { return CLA_BUILD_REVISION; }
const char *cla_build_date(void) { return CLA_BUILD_DATE; }
