import { type AlertType, alertTypes } from '../../core/alert.ts'
import type { Region } from '../../core/regions.ts'
import type { Topics } from './topics.ts'

const typeNames: Record<AlertType, string> = {
  air_raid: 'Air raid alert',
  artillery_shelling: 'Artillery shelling alert',
  urban_fights: 'Urban fights alert',
  chemical: 'Chemical alert',
  nuclear: 'Nuclear alert',
}

/**
 * Home Assistant MQTT discovery: one retained `binary_sensor` config per region and alert type, so that a Home
 * Assistant with the MQTT integration gets the sensors without YAML. Every field is one Home Assistant documents for
 * an MQTT binary sensor (https://www.home-assistant.io/integrations/binary_sensor.mqtt/); the state is read from the
 * region's retained state topic, on when the type is among its active `types`. Device class `safety`: on means unsafe.
 */
export function homeAssistantConfigs(
  regions: readonly Region[],
  topics: Topics,
  discoveryPrefix: string,
): Array<{ topic: string; payload: string }> {
  return regions.flatMap((r) =>
    alertTypes.map((type) => {
      const objectId = `sirena_${r.id}_${type}`
      return {
        topic: `${discoveryPrefix}/binary_sensor/sirena_${r.id}/${type}/config`,
        payload: JSON.stringify({
          name: typeNames[type],
          unique_id: objectId,
          state_topic: topics.regionState(r.id),
          value_template: `{{ 'ON' if '${type}' in value_json.types else 'OFF' }}`,
          payload_on: 'ON',
          payload_off: 'OFF',
          device_class: 'safety',
          json_attributes_topic: topics.regionState(r.id),
          qos: 1,
          device: {
            identifiers: [`sirena_${r.id}`],
            name: `${r.name.en} (${r.name.uk})`,
            manufacturer: 'Sirena',
            model: `${r.level} ${r.id}`,
          },
        }),
      }
    }),
  )
}
