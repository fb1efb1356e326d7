/** iPhone enrollments (methods ① and ②): registered by app.module.ts. */
export { IphoneEnrollments1700000002100 } from './1700000002100-iphone-enrollments';
export { IphoneEnrollmentController } from './iphone-enrollment.controller';
export { IphoneEnrollmentSaga } from './iphone-enrollment-saga';
export { IphoneEnrollmentService } from './iphone-enrollment.service';
