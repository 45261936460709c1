//===- GenModel.cpp - Generates deep Conv1d TCN benchmark models ----------===//
//
// Usage: h8-gen-model --layers=N --channels=C [--groups=G] [--opset=13]
//                     [--seed=S] [--external-data=NAME] --out=FILE
// (`--flag VALUE` works too.) Writes a binary ONNX model: input
// x [batch, C, time] (dim_params "batch" and "time"), then N layers of
//   h' = h + Relu(BatchNormalization(Conv(h, W, B)))
// with Conv1d(C, C/G, k=3, dilation 1/2/4/8 cycling, padding = dilation,
// group = G), and a final Identity to output y [batch, C, time]:
// 4N + 1 nodes. Weights are seeded xorshift floats written as raw_data,
// scaled so each residual branch adds O(|h|/N): activations stay O(1)
// through any depth, so --verify-numerics comparisons stay meaningful.
// A benchmark input generator, not a test.
//
//===----------------------------------------------------------------------===//
#include <fcntl.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "google/protobuf/io/zero_copy_stream_impl.h"
#include "onnx/onnx_pb.h"

namespace {

struct XorShift {
  uint64_t s;
  uint64_t Next() {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    return s;
  }
  // Uniform in [-1, 1).
  float Uniform() { return static_cast<float>(Next() >> 40) * (2.0f / 16777216.0f) - 1.0f; }
};

void AddFloatInit(onnx::GraphProto* g, const std::string& name, std::initializer_list<int64_t> dims,
                  XorShift& rng, float scale, float offset) {
  onnx::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(onnx::TensorProto::FLOAT);
  int64_t n = 1;
  for (int64_t d : dims) {
    t->add_dims(d);
    n *= d;
  }
  std::string* raw = t->mutable_raw_data();
  raw->resize(static_cast<size_t>(n) * sizeof(float));
  char* p = raw->data();
  for (int64_t i = 0; i < n; ++i) {
    float v = offset + scale * rng.Uniform();
    std::memcpy(p + i * sizeof(float), &v, sizeof(float));  // little-endian host
  }
}

void SetIntsAttr(onnx::NodeProto* n, const char* name, std::initializer_list<int64_t> v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

void SetIntAttr(onnx::NodeProto* n, const char* name, int64_t v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::INT);
  a->set_i(v);
}

void SetFloatAttr(onnx::NodeProto* n, const char* name, float v) {
  onnx::AttributeProto* a = n->add_attribute();
  a->set_name(name);
  a->set_type(onnx::AttributeProto::FLOAT);
  a->set_f(v);
}

void SetBCT(onnx::ValueInfoProto* v, const std::string& name, int64_t c) {
  v->set_name(name);
  auto* tt = v->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(onnx::TensorProto::FLOAT);
  auto* shape = tt->mutable_shape();
  shape->add_dim()->set_dim_param("batch");
  shape->add_dim()->set_dim_value(c);
  shape->add_dim()->set_dim_param("time");
}

bool ParseFlag(int argc, char** argv, int& i, const char* name, std::string& value) {
  std::string arg = argv[i];
  std::string flag = absl::StrCat("--", name);
  if (arg == flag && i + 1 < argc) {
    value = argv[++i];
    return true;
  }
  if (arg.rfind(flag + "=", 0) == 0) {
    value = arg.substr(flag.size() + 1);
    return true;
  }
  return false;
}

}  // namespace

int main(int argc, char** argv) {
  int64_t layers = 0, channels = 0, groups = 1, opset = 13, seed = 1;
  std::string out, external;
  for (int i = 1; i < argc; ++i) {
    std::string v;
    int64_t* target = nullptr;
    if (ParseFlag(argc, argv, i, "layers", v)) target = &layers;
    else if (ParseFlag(argc, argv, i, "channels", v)) target = &channels;
    else if (ParseFlag(argc, argv, i, "groups", v)) target = &groups;
    else if (ParseFlag(argc, argv, i, "opset", v)) target = &opset;
    else if (ParseFlag(argc, argv, i, "seed", v)) target = &seed;
    else if (ParseFlag(argc, argv, i, "out", v)) {
      out = v;
      continue;
    } else if (ParseFlag(argc, argv, i, "external-data", v)) {
      external = v;
      continue;
    } else {
      std::fprintf(stderr, "h8-gen-model: unknown argument '%s'\n", argv[i]);
      return 2;
    }
    if (!absl::SimpleAtoi(v, target)) {
      std::fprintf(stderr, "h8-gen-model: bad value '%s' for %s\n", v.c_str(), argv[i]);
      return 2;
    }
  }
  if (layers < 1 || channels < 1 || groups < 1 || channels % groups != 0 || out.empty() ||
      opset < 7) {
    std::fprintf(stderr,
                 "usage: h8-gen-model --layers=N --channels=C [--groups=G (divides C)] "
                 "[--opset=13] [--seed=S] --out=FILE\n");
    return 2;
  }

  onnx::ModelProto model;
  model.set_ir_version(opset >= 13 ? 7 : 6);
  model.set_producer_name("h8-gen-model");
  model.add_opset_import()->set_version(opset);
  onnx::GraphProto* g = model.mutable_graph();
  g->set_name(absl::StrCat("tcn_l", layers, "_c", channels, "_g", groups));
  SetBCT(g->add_input(), "x", channels);
  SetBCT(g->add_output(), "y", channels);

  XorShift rng{0x9E3779B97F4A7C15ull ^ static_cast<uint64_t>(seed)};
  const int64_t cin = channels / groups;
  const float wscale = 1.0f / std::sqrt(static_cast<float>(cin * 3));
  const float branch = 1.0f / static_cast<float>(layers);  // BN gain per layer
  std::string h = "x";
  for (int64_t l = 0; l < layers; ++l) {
    const int64_t d = int64_t{1} << (l % 4);
    std::string p = absl::StrCat("l", l);
    AddFloatInit(g, p + ".conv.weight", {channels, cin, 3}, rng, wscale, 0.0f);
    AddFloatInit(g, p + ".conv.bias", {channels}, rng, 0.05f, 0.0f);
    AddFloatInit(g, p + ".bn.scale", {channels}, rng, branch, 0.0f);
    AddFloatInit(g, p + ".bn.bias", {channels}, rng, 0.05f * branch, 0.0f);
    AddFloatInit(g, p + ".bn.mean", {channels}, rng, 0.05f, 0.0f);
    AddFloatInit(g, p + ".bn.var", {channels}, rng, 0.25f, 1.0f);

    onnx::NodeProto* conv = g->add_node();
    conv->set_name(p + "/Conv");
    conv->set_op_type("Conv");
    conv->add_input(h);
    conv->add_input(p + ".conv.weight");
    conv->add_input(p + ".conv.bias");
    conv->add_output(p + "/Conv_output_0");
    SetIntsAttr(conv, "dilations", {d});
    SetIntAttr(conv, "group", groups);
    SetIntsAttr(conv, "kernel_shape", {3});
    SetIntsAttr(conv, "pads", {d, d});
    SetIntsAttr(conv, "strides", {1});

    onnx::NodeProto* bn = g->add_node();
    bn->set_name(p + "/BatchNormalization");
    bn->set_op_type("BatchNormalization");
    bn->add_input(p + "/Conv_output_0");
    for (const char* s : {".bn.scale", ".bn.bias", ".bn.mean", ".bn.var"}) bn->add_input(p + s);
    bn->add_output(p + "/BatchNormalization_output_0");
    SetFloatAttr(bn, "epsilon", 1e-5f);
    SetFloatAttr(bn, "momentum", 0.9f);

    onnx::NodeProto* relu = g->add_node();
    relu->set_name(p + "/Relu");
    relu->set_op_type("Relu");
    relu->add_input(p + "/BatchNormalization_output_0");
    relu->add_output(p + "/Relu_output_0");

    onnx::NodeProto* add = g->add_node();
    add->set_name(p + "/Add");
    add->set_op_type("Add");
    add->add_input(p + "/Relu_output_0");
    add->add_input(h);
    h = p + "/Add_output_0";
    add->add_output(h);
  }
  onnx::NodeProto* id = g->add_node();
  id->set_name("/Identity");
  id->set_op_type("Identity");
  id->add_input(h);
  id->add_output("y");

  // --external-data=NAME: tensors of 1 KiB or more go to NAME next to the
  // model (ONNX external data), which models over protobuf's 2 GiB need.
  if (!external.empty()) {
    std::string dir = out.rfind('/') == std::string::npos ? "." : out.substr(0, out.rfind('/'));
    std::string path = dir + "/" + external;
    int dfd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (dfd < 0) {
      std::fprintf(stderr, "%s: cannot write: %s\n", path.c_str(), std::strerror(errno));
      return 2;
    }
    int64_t offset = 0;
    for (auto& t : *g->mutable_initializer()) {
      if (t.raw_data().size() < 1024) continue;
      const std::string& raw = t.raw_data();
      if (::write(dfd, raw.data(), raw.size()) != static_cast<ssize_t>(raw.size())) {
        std::fprintf(stderr, "%s: write failed\n", path.c_str());
        return 2;
      }
      t.set_data_location(onnx::TensorProto::EXTERNAL);
      auto add = [&](const char* k, const std::string& v) {
        auto* kv = t.add_external_data();
        kv->set_key(k);
        kv->set_value(v);
      };
      add("location", external);
      add("offset", std::to_string(offset));
      add("length", std::to_string(raw.size()));
      offset += static_cast<int64_t>(raw.size());
      t.clear_raw_data();
    }
    ::close(dfd);
  }

  int fd = ::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    std::fprintf(stderr, "%s: cannot write: %s\n", out.c_str(), std::strerror(errno));
    return 2;
  }
  bool ok;
  {
    google::protobuf::io::FileOutputStream os(fd, 1 << 20);
    ok = model.SerializeToZeroCopyStream(&os) && os.Flush();
  }
  if (::close(fd) != 0 || !ok) {
    std::fprintf(stderr, "%s: write failed\n", out.c_str());
    return 2;
  }
  std::printf(
      "%s: %lld layers, %lld channels, groups %lld, %d nodes, %d initializers, "
      "%.1f MB\n",
      out.c_str(), static_cast<long long>(layers), static_cast<long long>(channels),
      static_cast<long long>(groups), g->node_size(), g->initializer_size(),
      static_cast<double>(model.ByteSizeLong()) / 1e6);
  return 0;
}
