#ifndef AGENT_RUNTIME_CCIVETWEB_SHIM_H
#define AGENT_RUNTIME_CCIVETWEB_SHIM_H
#include <civetweb.h>
#endif
