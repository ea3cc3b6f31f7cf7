// The git revision and commit date of the build, recorded by `make` (scripts/build-info.sh writes
// build_info_generated.h, which git ignores). A plain `swift build` reports "unknown".
#pragma once

const char *cla_build_revision(void);
const char *cla_build_date(void);
