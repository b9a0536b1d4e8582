/**
 * lstm_ms Ascend 310 inference app: file and option helpers.
 */
#include "inc/utils.h"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <regex>

namespace {
bool IsDir(const std::string &path) {
  struct stat info {};
  return stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
}

std::vector<std::string> ListDir(const std::string &path) {
  std::vector<std::string> names;
  DIR *dir = opendir(path.c_str());
  if (dir == nullptr) {
    return names;
  }
  for (struct dirent *entry = readdir(dir); entry != nullptr; entry = readdir(dir)) {
    std::string name = entry->d_name;
    if (name != "." && name != "..") {
      names.push_back(name);
    }
  }
  closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}
}  // namespace

bool ParseOptions(int argc, char **argv, Options *options) {
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    std::string value;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
    } else if (i + 1 < argc) {
      value = argv[++i];
    } else {
      std::cerr << "error: " << arg << ": needs a value" << std::endl;
      return false;
    }
    if (arg == "--mindir_path") {
      options->mindir_path = value;
    } else if (arg == "--input_path") {
      options->input_path = value;
    } else if (arg == "--result_path") {
      options->result_path = value;
    } else if (arg == "--time_path") {
      options->time_path = value;
    } else if (arg == "--device_target") {
      options->device_target = value;
    } else if (arg == "--device_id") {
      char *end = nullptr;
      errno = 0;
      unsigned long id = std::strtoul(value.c_str(), &end, 10);
      if (errno != 0 || end == value.c_str() || *end != '\0') {
        std::cerr << "error: --device_id: not a number: " << value << std::endl;
        return false;
      }
      options->device_id = static_cast<uint32_t>(id);
    } else {
      std::cerr << "error: " << arg << ": unknown option (--mindir_path --input_path --result_path --time_path "
                << "--device_target --device_id)" << std::endl;
      return false;
    }
  }
  if (options->mindir_path.empty()) {
    std::cerr << "error: --mindir_path: is required" << std::endl;
    return false;
  }
  return true;
}

std::vector<std::string> ListInputFolders(const std::string &input_path) {
  static const std::regex kFolder("^[0-9][0-9]_data$");
  std::vector<std::string> folders;
  for (const auto &name : ListDir(input_path)) {
    std::string full = input_path + "/" + name;
    if (std::regex_match(name, kFolder) && IsDir(full)) {
      folders.push_back(full);
    }
  }
  return folders;
}

std::vector<std::pair<uint64_t, std::string>> ListBatches(const std::string &folder) {
  static const std::regex kBin("^(.*)_([0-9]+)\\.bin$");
  std::vector<std::pair<uint64_t, std::string>> batches;
  std::smatch match;
  for (const auto &name : ListDir(folder)) {
    if (std::regex_match(name, match, kBin)) {
      batches.emplace_back(std::stoull(match[2].str()), name);
    }
  }
  std::sort(batches.begin(), batches.end());
  return batches;
}

bool ReadBinary(const std::string &path, std::vector<char> *data) {
  std::ifstream file(path, std::ios::binary | std::ios::ate);
  if (!file) {
    return false;
  }
  std::streamsize size = file.tellg();
  file.seekg(0, std::ios::beg);
  data->resize(static_cast<size_t>(size));
  return static_cast<bool>(file.read(data->data(), size));
}

bool WriteBinary(const std::string &path, const void *data, size_t size) {
  std::string tmp = path + ".tmp";
  {
    std::ofstream file(tmp, std::ios::binary | std::ios::trunc);
    if (!file || !file.write(static_cast<const char *>(data), static_cast<std::streamsize>(size))) {
      return false;
    }
  }
  return std::rename(tmp.c_str(), path.c_str()) == 0;
}

bool MakeDirs(const std::string &path) {
  std::string partial;
  for (size_t pos = 0; pos != std::string::npos;) {
    pos = path.find('/', pos + 1);
    partial = path.substr(0, pos);
    if (!partial.empty() && !IsDir(partial) && mkdir(partial.c_str(), 0755) != 0 && errno != EEXIST) {
      return false;
    }
  }
  return true;
}

std::string Stem(const std::string &file_name) {
  size_t dot = file_name.rfind('.');
  return dot == std::string::npos ? file_name : file_name.substr(0, dot);
}
