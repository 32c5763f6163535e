// Compile TestToken.sol with solc-js (from .cache/evm, see scripts/evm-deps) and print
// {"abi": [...], "bytecode": "0x..."} on stdout. Usage: node compile.cjs <solc module dir>
const fs = require("fs");
const path = require("path");
const solc = require(path.resolve(process.argv[2]));
const source = fs.readFileSync(path.join(__dirname, "TestToken.sol"), "utf8");
const input = {
  language: "Solidity",
  sources: { "TestToken.sol": { content: source } },
  settings: {
    optimizer: { enabled: true, runs: 200 },
    evmVersion: "paris",
    outputSelection: { "*": { TestToken: ["abi", "evm.bytecode.object"] } },
  },
};
const output = JSON.parse(solc.compile(JSON.stringify(input)));
const errors = (output.errors || []).filter((e) => e.severity === "error");
if (errors.length) {
  process.stderr.write(errors.map((e) => e.formattedMessage).join("\n"));
  process.exit(1);
}
const contract = output.contracts["TestToken.sol"].TestToken;
process.stdout.write(JSON.stringify({ abi: contract.abi, bytecode: "0x" + contract.evm.bytecode.object }));
