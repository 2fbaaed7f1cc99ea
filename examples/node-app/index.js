const isNumber = require('is-number');

console.log(`is 42 a number? ${isNumber(42)}`);
