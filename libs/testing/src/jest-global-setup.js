require('./register-typescript');
module.exports = () => require('./lib/global-setup').globalSetup();
