// Worker pool labels: what a step asks for with `runs_on`, and what a node serves (`labels`).
// One shape for both, so a label that validates in a definition can be served by a node.

export const POOL_LABEL = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/;
export const POOL_LABEL_RULE = "a pool label: letters, digits, '.', '_', ':' or '-', starting with a letter or digit, at most 63 characters";
