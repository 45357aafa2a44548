// SPDX-License-Identifier: Apache-2.0
// Copyright 2026 robot_learning maintainers
//
// sdf_check FILE...: load each SDF file with libsdformat (sdf::Root::Load) and print every
// error. Two passes per file: the default parser config (what Gazebo's loader does: an
// error here means Gazebo refuses the file) and a strict one that also reports elements
// outside the SDF spec (a misspelt tag is otherwise copied silently). Output lines:
//   FILE: error: MESSAGE          (default pass)
//   FILE: strict: MESSAGE         (strict pass only)
//   FILE: ok version V worlds W models M
// Exit status: 1 when any file has a default-pass error, else 0.
// Built by test/test_gazebo_sdf.py against Debian's libsdformat-dev (sdformat12).
#include <iostream>
#include <string>

#include <sdf/sdf.hh>

static std::string one_line(std::string text)
{
  while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) {
    text.pop_back();
  }
  for (auto & c : text) {
    if (c == '\n') {
      c = ' ';
    }
  }
  return text;
}

int main(int argc, char ** argv)
{
  int failed = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string file = argv[i];
    sdf::Root root;
    const sdf::Errors errors = root.Load(file);
    for (const auto & e : errors) {
      std::cout << file << ": error: " << one_line(e.Message()) << "\n";
    }
    if (!errors.empty()) {
      ++failed;
      continue;
    }
    sdf::ParserConfig strict;
    strict.SetUnrecognizedElementsPolicy(sdf::EnforcementPolicy::ERR);
    strict.SetWarningsPolicy(sdf::EnforcementPolicy::ERR);
    sdf::Root strict_root;
    for (const auto & e : strict_root.Load(file, strict)) {
      std::cout << file << ": strict: " << one_line(e.Message()) << "\n";
    }
    std::cout << file << ": ok version " << root.Version() << " worlds " << root.WorldCount()
              << " models " << (root.Model() ? 1 : 0) << "\n";
  }
  return failed ? 1 : 0;
}
