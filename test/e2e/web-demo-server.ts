// Boots what `npm start` boots, for the browser test: TEMPORARY dev stand-in until the server lands.
export async function startDemoServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const url = process.env['H5_DEMO_URL'];
  if (url === undefined) throw new Error('no server');
  return { url, close: async () => {} };
}
