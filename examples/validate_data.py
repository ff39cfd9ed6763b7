# Seed 001's validate_data.py: checks the records of a data file before it is processed. Run by the
# `script` step of examples/python-validate.yaml in Pyodide (no files or network: the records come
# in through `input`). What main() returns is the step's output.
REQUIRED = ("id", "amount", "currency")


def main(input):
    problems = []
    for index, record in enumerate(input["records"]):
        missing = [field for field in REQUIRED if field not in record]
        if missing:
            problems.append({"record": index, "problem": "missing " + ", ".join(missing)})
        elif not isinstance(record["amount"], (int, float)) or record["amount"] < 0:
            problems.append({"record": index, "problem": "amount must be a non-negative number"})
    print(f"checked {len(input['records'])} records, {len(problems)} problems")
    return {"valid": not problems, "checked": len(input["records"]), "problems": problems}
