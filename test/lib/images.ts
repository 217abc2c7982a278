/** Local runtime images built by scripts/build-images.sh; only the tests and demo use these names. */
export const TEST_IMAGES = {
  node: process.env.COVE_NODE_IMAGE ?? 'cove/node-runtime:24',
  python: process.env.COVE_PYTHON_IMAGE ?? 'cove/python-sklearn:12',
} as const;
