#ifndef AGENT_RUNTIME_CYAML_SHIM_H
#define AGENT_RUNTIME_CYAML_SHIM_H
#include <yaml.h>
#endif
