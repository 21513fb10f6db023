import type {ResolvedConfig} from '../config/schema.ts';
import {createService, type Service, type ServiceOptions} from '../service/create-service.ts';
import {routeWarningsTo} from './process-warnings.ts';
import {readVersion} from './read-version.ts';

/** The service as every command builds it: this package's version, and Node's warnings as records from here on. */
export function createCliService(config: ResolvedConfig, options: Omit<ServiceOptions, 'version'>): Service {
	const service = createService(config, {...options, version: readVersion()});
	routeWarningsTo(service.records);
	return service;
}
