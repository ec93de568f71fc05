// express4 is `npm:express@^4` (the adapter is tested on Express 4 and 5); its API is typed like Express 5's.
declare module 'express4' {
  import express from 'express';
  export default express;
}
