/**
 * lstm_ms Ascend 310 inference app: one generic program for every model of the zoo.
 *
 * Reads the MINDIR, asks it for its inputs (count, names, dtypes, shapes), then for every batch i
 * reads <input_path>/NN_data/<name>_<i>.bin for each input NN, runs the model and writes
 * <result_path>/<name>_<i>.bin (<name>_<i>_<k>.bin when the model has several outputs) and the
 * mean latency to <time_path>/test_perform_static.txt. Exit status: 0 ok, 2 bad input, 1 failure.
 *
 *   main --mindir_path=lstm.mindir --input_path=./preprocess_Result --result_path=./result_Files
 *        --time_path=./time_Result --device_target=Ascend310 --device_id=0
 */
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "include/api/context.h"
#include "include/api/model.h"
#include "include/api/serialization.h"
#include "include/api/types.h"
#include "inc/utils.h"

using mindspore::Context;
using mindspore::DeviceInfoContext;
using mindspore::Graph;
using mindspore::GraphCell;
using mindspore::kSuccess;
using mindspore::Model;
using mindspore::ModelType;
using mindspore::MSTensor;
using mindspore::Serialization;
using mindspore::Status;

namespace {
// Ascend310 and Ascend (910) both use AscendDeviceInfo (MindSpore >= 1.8; earlier releases named it
// Ascend310DeviceInfo: build with -DLSTM_MS_LEGACY_ASCEND310_API for those).
std::shared_ptr<DeviceInfoContext> MakeDeviceInfo(const std::string &target, uint32_t device_id) {
  if (target == "Ascend310" || target == "Ascend") {
#ifdef LSTM_MS_LEGACY_ASCEND310_API
    auto info = std::make_shared<mindspore::Ascend310DeviceInfo>();
#else
    auto info = std::make_shared<mindspore::AscendDeviceInfo>();
#endif
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

  Graph graph;
  Status ret = Serialization::Load(opt.mindir_path, ModelType::kMindIR, &graph);
  if (ret != kSuccess) {
    std::cerr << "error: " << opt.mindir_path << ": cannot load the MINDIR (" << ret.ToString() << ")" << std::endl;
    return 2;
  }
  Model model;
  ret = model.Build(GraphCell(graph), context);
  if (ret != kSuccess) {
    std::cerr << "error: " << opt.mindir_path << ": cannot build the model on " << opt.device_target << " ("
              << ret.ToString() << ")" << std::endl;
    return 1;
  }
  std::vector<MSTensor> model_inputs = model.GetInputs();
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
    std::vector<std::vector<char>> buffers(model_inputs.size());
    std::vector<MSTensor> inputs;
    for (size_t k = 0; k < model_inputs.size(); ++k) {
      std::string path = folders[k] + "/" + file_name;
      if (!ReadBinary(path, &buffers[k])) {
        std::cerr << "error: " << path << ": cannot read" << std::endl;
        return 2;
      }
      if (buffers[k].size() != model_inputs[k].DataSize()) {
        std::cerr << "error: " << path << ": " << buffers[k].size() << " bytes, input " << k << " of the model needs "
                  << model_inputs[k].DataSize() << std::endl;
        return 2;
      }
      inputs.emplace_back(model_inputs[k].Name(), model_inputs[k].DataType(), model_inputs[k].Shape(),
                          buffers[k].data(), buffers[k].size());
    }
    std::vector<MSTensor> outputs;
    auto start = std::chrono::steady_clock::now();
    ret = model.Predict(inputs, &outputs);
    auto end = std::chrono::steady_clock::now();
    if (ret != kSuccess) {
      std::cerr << "error: " << file_name << ": inference failed (" << ret.ToString() << ")" << std::endl;
      return 1;
    }
    total_ms += std::chrono::duration<double, std::milli>(end - start).count();
    for (size_t k = 0; k < outputs.size(); ++k) {
      std::string path = opt.result_path + "/" + OutputName(Stem(file_name), k, outputs.size());
      if (!WriteBinary(path, outputs[k].Data().get(), outputs[k].DataSize())) {
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
