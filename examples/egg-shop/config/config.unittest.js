'use strict';
// egg's unittest defaults print warnings to the console; the tests assert on outcomes instead.
module.exports = { logger: { consoleLevel: process.env.EGG_LOG_LEVEL || 'WARN' } };
