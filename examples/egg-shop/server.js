'use strict';
// `npm start`: one egg process (the notify handler and the order store are per process; see README).
const egg = require('egg');

const port = Number(process.env.PORT || 7001);
egg.start({ baseDir: __dirname }).then((app) => {
  app.listen(port, () => console.log(`egg-shop listening on http://127.0.0.1:${port}`));
});
