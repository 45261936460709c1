//===- LiftConv1dInterface.cpp - PassContext::interface_map() -------------===//
#include "h8/Pass/Pass.h"
#include "h8/Passes/LiftConv1d.h"

namespace h8 {

LiftedInterface& PassContext::interface_map() { return artifacts_.GetOrCreate<LiftedInterface>(); }

}  // namespace h8
