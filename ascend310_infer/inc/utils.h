/**
 * lstm_ms Ascend 310 inference app: file and option helpers (no MindSpore types here).
 */
#ifndef LSTM_MS_ASCEND310_INFER_UTILS_H_
#define LSTM_MS_ASCEND310_INFER_UTILS_H_

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

struct Options {
  std::string mindir_path;
  std::string input_path = "./preprocess_Result";
  std::string result_path = "./result_Files";
  std::string time_path = "./time_Result";
  std::string device_target = "Ascend310";
  uint32_t device_id = 0;
};

// Parses --key=value (or --key value) flags; prints one "error: ..." line and returns false on bad input.
bool ParseOptions(int argc, char **argv, Options *options);

// The NN_data folders under input_path, sorted (00_data, 01_data, ...).
std::vector<std::string> ListInputFolders(const std::string &input_path);

// (batch index, file name) of every <name>_<i>.bin in a folder, sorted by index.
std::vector<std::pair<uint64_t, std::string>> ListBatches(const std::string &folder);

bool ReadBinary(const std::string &path, std::vector<char> *data);
bool WriteBinary(const std::string &path, const void *data, size_t size);  // temp name + rename
bool MakeDirs(const std::string &path);
std::string Stem(const std::string &file_name);  // "lstm_3.bin" -> "lstm_3"

#endif  // LSTM_MS_ASCEND310_INFER_UTILS_H_
