# Seed 001's validate.py, named by examples/data-pipeline.yaml's first step: it runs in Pyodide
# (CPython in WebAssembly) with no files or network, so it checks what the step hands it in `input`
# and reports; the agent step after it does the processing.
def main(input):
    problems = [f"{key} is empty" for key, value in input.items() if value in ("", None)]
    print(f"validated {len(input)} input values, {len(problems)} problems")
    return {"valid": not problems, "problems": problems}
