/**
 * lstm_ms Ascend 310 inference app: one generic program for every model of the zoo, built against the
 * MindSpore Lite cloud-inference C++ API (see ../README.md).
 *
 * Builds the MINDIR exported by MindSpore (Model::Build(path, ModelType::kMindIR, context): Lite loads
 * such a MINDIR directly, no converter_lite step), asks it for its inputs (count, dtypes, shapes), then
 * for every batch i reads <input_path>/NN_data/<name>_<i>.bin for each input NN into the model's input
 * tensors, runs the model and writes <result_path>/<name>_<i>.bin (<name>_<i>_<k>.bin when the model has
 * several outputs) and the mean latency to <time_path>/test_perform_static.txt.
 * Exit status: 0 ok, 2 bad input, 1 failure.
 *
 *   main --mindir_path=lstm.mindir --input_path=./preprocess_Result --result_path=./result_Files
 *        --time_path=./time_Result --device_target=Ascend310 --device_id=0
 */
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "include/api/context.h"
#include "include/api/model.h"
#include "include/api/status.h"
#include "include/api/types.h"
#include "inc/utils.h"

using mindspore::Context;
using mindspore::DeviceInfoContext;
using mindspore::kSuccess;
using mindspore::Model;
using mindspore::ModelType;
using mindspore::MSTensor;
using mindspore::Status;

namespace {
// Ascend310 (Atlas 200/300/500 inference products) and Ascend both take AscendDeviceInfo: in the Lite
// headers Ascend310DeviceInfo is only an alias of it. GPUDeviceInfo is declared by the headers, but the
// cloud-inference docs of recent Lite releases (2.7 to 2.10) list Ascend and CPU backends only: on such a
// package a GPU build fails in Model::Build, with its message (exit status 1).
std::shared_ptr<DeviceInfoContext> MakeDeviceInfo(const std::string &target, uint32_t device_id) {
  if (target == "Ascend310" || target == "Ascend") {
    auto info = std::make_shared<mindspore::AscendDeviceInfo>();
    info->SetDeviceID(device_id);
    return info;
  }
  if (target == "GPU") {
    auto info = std::make_shared<mindspore::GPUDeviceInfo>();
    info->SetDeviceID(device_id);
    return info;
  }
  if (target == "CPU") {
    return std::make_shared<mindspore::CPUDeviceInfo>();
  }
  return nullptr;
}

std::string OutputName(const std::string &stem, size_t k, size_t count) {
  return count == 1 ? stem + ".bin" : stem + "_" + std::to_string(k) + ".bin";
}

std::string ShapeString(const std::vector<int64_t> &shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    text += (i == 0 ? "" : ",") + std::to_string(shape[i]);
  }
  return text + "]";
}
}  // namespace

int main(int argc, char **argv) {
  Options opt;
  if (!ParseOptions(argc, argv, &opt)) {
    return 2;
  }
  auto device = MakeDeviceInfo(opt.device_target, opt.device_id);
  if (device == nullptr) {
    std::cerr << "error: --device_target: " << opt.device_target << " is not one of Ascend310, Ascend, GPU, CPU"
              << std::endl;
    return 2;
  }
  auto context = std::make_shared<Context>();
  context->MutableDeviceInfo().push_back(device);

  // Model::Build reports a missing file and a broken or unsupported graph alike: tell them apart here
  // (bad input, 2) from a build that fails on a readable file (1).
  {
    std::ifstream file(opt.mindir_path, std::ios::binary);
    if (!file || file.peek() == std::ifstream::traits_type::eof()) {
      std::cerr << "error: " << opt.mindir_path << ": cannot read the MINDIR (missing, empty or not a file)"
                << std::endl;
      return 2;
    }
  }
  Model model;
  Status ret = model.Build(opt.mindir_path, ModelType::kMindIR, context);
  if (ret != kSuccess) {
    std::cerr << "error: " << opt.mindir_path << ": cannot build the model on " << opt.device_target << " ("
              << ret.ToString() << ")" << std::endl;
    return 1;
  }
  std::vector<MSTensor> model_inputs = model.GetInputs();
  if (model_inputs.empty()) {
    std::cerr << "error: " << opt.mindir_path << ": the model has no inputs" << std::endl;
    return 2;
  }
  for (size_t k = 0; k < model_inputs.size(); ++k) {
    for (int64_t dim : model_inputs[k].Shape()) {
      if (dim < 0) {
        std::cerr << "error: " << opt.mindir_path << ": input " << k << " has the dynamic shape "
                  << ShapeString(model_inputs[k].Shape()) << " (export the MINDIR with a fixed --batch_size)"
                  << std::endl;
        return 2;
      }
    }
  }
  std::vector<std::string> folders = ListInputFolders(opt.input_path);
  if (folders.size() != model_inputs.size()) {
    std::cerr << "error: " << opt.input_path << ": " << folders.size() << " NN_data folders, the model has "
              << model_inputs.size() << " inputs" << std::endl;
    return 2;
  }
  auto batches = ListBatches(folders[0]);
  if (batches.empty()) {
    std::cerr << "error: " << folders[0] << ": no <name>_<i>.bin files" << std::endl;
    return 2;
  }
  if (!MakeDirs(opt.result_path) || !MakeDirs(opt.time_path)) {
    std::cerr << "error: " << opt.result_path << ": cannot create the output folders" << std::endl;
    return 1;
  }

  double total_ms = 0.0;
  for (const auto &batch : batches) {
    const std::string &file_name = batch.second;
    // The documented way to feed Lite: fill the tensors that GetInputs() returned (MutableData) and pass
    // them to Predict.
    std::vector<char> buffer;
    for (size_t k = 0; k < model_inputs.size(); ++k) {
      std::string path = folders[k] + "/" + file_name;
      if (!ReadBinary(path, &buffer)) {
        std::cerr << "error: " << path << ": cannot read" << std::endl;
        return 2;
      }
      if (buffer.size() != model_inputs[k].DataSize()) {
        std::cerr << "error: " << path << ": " << buffer.size() << " bytes, input " << k << " of the model needs "
                  << model_inputs[k].DataSize() << std::endl;
        return 2;
      }
      void *data = model_inputs[k].MutableData();
      if (data == nullptr) {
        std::cerr << "error: input " << k << " of the model: cannot allocate " << buffer.size() << " bytes"
                  << std::endl;
        return 1;
      }
      std::memcpy(data, buffer.data(), buffer.size());
    }
    std::vector<MSTensor> outputs;
    auto start = std::chrono::steady_clock::now();
    ret = model.Predict(model_inputs, &outputs);
    auto end = std::chrono::steady_clock::now();
    if (ret != kSuccess) {
      std::cerr << "error: " << file_name << ": inference failed (" << ret.ToString() << ")" << std::endl;
      return 1;
    }
    total_ms += std::chrono::duration<double, std::milli>(end - start).count();
    for (size_t k = 0; k < outputs.size(); ++k) {
      std::string path = opt.result_path + "/" + OutputName(Stem(file_name), k, outputs.size());
      auto data = outputs[k].Data();
      if (data == nullptr || !WriteBinary(path, data.get(), outputs[k].DataSize())) {
        std::cerr << "error: " << path << ": cannot write" << std::endl;
        return 1;
      }
    }
  }
  double mean_ms = total_ms / static_cast<double>(batches.size());
  std::ofstream latency(opt.time_path + "/test_perform_static.txt");
  latency << "NN inference cost average time: " << std::fixed << std::setprecision(3) << mean_ms
          << " ms of infer_count " << batches.size() << std::endl;
  std::cout << "inferred " << batches.size() << " batches on " << opt.device_target << ": mean " << std::fixed
            << std::setprecision(3) << mean_ms << " ms per batch" << std::endl;
  return 0;
}
