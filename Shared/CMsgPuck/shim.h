// MessagePack from Debian's libmsgpuck-dev: C99 inline functions in the header, their bodies and the type
// table in libmsgpuck.a (hence the link in the module map).
#include <msgpuck.h>
