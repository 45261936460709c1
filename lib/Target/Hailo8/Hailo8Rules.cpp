//===- Hailo8Rules.cpp - IN PROGRESS placeholder ---------------------------===//
namespace h8 {}
